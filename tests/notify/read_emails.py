#!/usr/bin/python3
"""Parses every message file in a directory with Python's email package.

Prints a JSON list, in file name order (names starting with a dot are skipped), of
{file, subject, from, to, message_id, date, content_type, text, html, defects}: header
values decoded and unfolded, text and html the decoded content of the text/plain and
text/html parts (null when absent), defects the names of every parsing defect the email
package found in the message, its parts or its headers.
"""

import email
import email.policy
import json
import os
import sys


def header(message, name):
    value = message[name]
    return None if value is None else str(value)


def content(message, subtype):
    part = message.get_body(preferencelist=(subtype,))
    return None if part is None else part.get_content()


def defects(message):
    found = []
    for part in message.walk():
        found += [type(defect).__name__ for defect in part.defects]
        for name, value in part.items():
            found += ["%s: %s" % (name, type(defect).__name__)
                      for defect in getattr(value, "defects", ())]
    return found


def read(path):
    with open(path, "rb") as file:
        message = email.message_from_binary_file(file, policy=email.policy.default)
    return {
        "file": os.path.basename(path),
        "subject": header(message, "Subject"),
        "from": header(message, "From"),
        "to": header(message, "To"),
        "message_id": header(message, "Message-ID"),
        "date": header(message, "Date"),
        "content_type": message.get_content_type(),
        "text": content(message, "plain"),
        "html": content(message, "html"),
        "defects": defects(message),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: read_emails.py DIRECTORY")
    directory = sys.argv[1]
    names = sorted(name for name in os.listdir(directory) if not name.startswith("."))
    messages = [read(os.path.join(directory, name)) for name in names]
    # ASCII JSON, so that no locale or stdout encoding can change the bytes.
    json.dump(messages, sys.stdout, ensure_ascii=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
