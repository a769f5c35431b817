#!/usr/bin/python3
"""A local SMTP server for the e-mail tests.

Saves the raw bytes of every message it accepts as a numbered file (000001.eml, ...)
in --out, prints its port on standard output, and exits after --timeout seconds or
when standard input closes, whichever comes first, so a test that dies cannot leave it
running.
"""

import argparse
import logging
import os
import select
import socket
import sys
import time

from aiosmtpd.controller import Controller


class SaveMessages:
    def __init__(self, out, reject, defer):
        self.out = out
        self.reject = {address.lower() for address in reject}
        self.defer = {address.lower() for address in defer}
        self.count = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 <%s>: recipient rejected" % address
        if address.lower() in self.defer:
            return "451 4.3.0 <%s>: try again later" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        data = envelope.original_content
        if data is None:
            data = envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        # Handlers run one at a time on the controller's event loop, so the counter
        # needs no lock.
        self.count += 1
        name = "%06d.eml" % self.count
        # A reader lists the directory at any time: it must never see half a file, and
        # it skips names starting with a dot.
        temporary = os.path.join(self.out, "." + name + ".part")
        with open(temporary, "wb") as file:
            file.write(data)
        os.replace(temporary, os.path.join(self.out, name))
        return "250 OK saved as " + name


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(handler, port):
    # The controller needs a port number before it binds; another process may take the
    # free port in between, so try a few (a port asked for is tried a few times too).
    error = None
    for _ in range(20):
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(),
                                server_hostname="smtp-sink.test", ready_timeout=10.0)
        try:
            controller.start()
            return controller
        except OSError as e:
            error = e
            if port:
                time.sleep(0.25)
    raise error


def wait_for_stdin_eof(timeout):
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return
        readable, _, _ = select.select([sys.stdin.fileno()], [], [], remaining)
        if readable and not os.read(sys.stdin.fileno(), 4096):
            return


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", required=True, help="directory for the received messages")
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds after which the server exits (default 60)")
    parser.add_argument("--reject-rcpt", action="append", default=[], metavar="ADDRESS",
                        help="answer 550 to RCPT TO for this address (repeatable)")
    parser.add_argument("--defer-rcpt", action="append", default=[], metavar="ADDRESS",
                        help="answer 451 to RCPT TO for this address (repeatable)")
    parser.add_argument("--port", type=int, default=0,
                        help="listen on this port of 127.0.0.1 (default: a free one)")
    args = parser.parse_args()

    # aiosmtpd logs every session; only real failures are worth a test's stderr.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    os.makedirs(args.out, exist_ok=True)
    controller = start(SaveMessages(args.out, args.reject_rcpt, args.defer_rcpt), args.port)
    try:
        print(controller.port, flush=True)
        wait_for_stdin_eof(args.timeout)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
