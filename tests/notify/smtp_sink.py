#!/usr/bin/python3
"""A local SMTP server for the e-mail tests.

Saves the raw bytes of every message it accepts as a numbered file (000001.eml, ...)
in --out, prints its port on standard output, and exits after --timeout seconds or
when standard input closes, whichever comes first, so a test that dies cannot leave it
running.

With --auth USER:PASSWORD it requires SMTP AUTH (PLAIN or LOGIN, over plain TCP: the
tests run on 127.0.0.1 without TLS) before MAIL FROM, answering 530 without it and 535
to any other user or password. Every AUTH attempt is appended to .auth-log in --out
("accepted USER" or "refused USER", never the password given), and each saved message
as "NAME USER", where USER is the login it was sent under.

With --tls-cert CERT --tls-key KEY it offers STARTTLS with that certificate and requires
it before anything else (530 otherwise); each saved message is appended to .tls-log in
--out as "NAME VERSION" (the TLS version the session used, such as TLSv1.3).
"""

import argparse
import logging
import os
import select
import socket
import ssl
import sys
import time
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


AUTH_LOG = ".auth-log"
TLS_LOG = ".tls-log"


def append_log(out, log, line):
    with open(os.path.join(out, log), "a", encoding="utf-8") as file:
        file.write(line + "\n")


class Authenticator:
    """Accepts exactly one user and password."""

    def __init__(self, out, user, password):
        self.out = out
        self.user = user.encode("utf-8")
        self.password = password.encode("utf-8")

    def __call__(self, server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        accepted = auth_data.login == self.user and auth_data.password == self.password
        login = auth_data.login.decode("utf-8", "backslashreplace")
        append_log(self.out, AUTH_LOG, ("accepted " if accepted else "refused ") + login)
        return AuthResult(success=accepted, handled=False, auth_data=auth_data)


class QuietTlsRefusals(logging.Filter):
    """Drops the report of a client that refused the certificate: the tests do that on
    purpose, and say so themselves."""

    def filter(self, record):
        return not (record.exc_info and record.exc_info[0].__name__ == "TLSSetupException")


class SaveMessages:
    def __init__(self, out, reject, defer, tls):
        self.out = out
        self.tls = tls
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
        if self.tls:
            tls = session.ssl.get("ssl_object") if session.ssl is not None else None
            append_log(self.out, TLS_LOG, name + " " + (tls.version() if tls else "plain"))
        if session.auth_data is not None:
            append_log(self.out, AUTH_LOG, name + " " +
                            session.auth_data.login.decode("utf-8", "backslashreplace"))
        return "250 OK saved as " + name


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(handler, port, authenticator=None, tls_context=None):
    # The controller needs a port number before it binds; another process may take the
    # free port in between, so try a few (a port asked for is tried a few times too).
    error = None
    auth = {}
    if authenticator is not None:
        # Plain-text AUTH is what the tests mean to exercise, on the loopback interface.
        warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
        auth = dict(authenticator=authenticator, auth_required=True, auth_require_tls=False)
    if tls_context is not None:
        auth.update(tls_context=tls_context, require_starttls=True)
    for _ in range(20):
        controller = Controller(handler, hostname="127.0.0.1", port=port or free_port(),
                                server_hostname="smtp-sink.test", ready_timeout=10.0, **auth)
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
    parser.add_argument("--auth", metavar="USER:PASSWORD",
                        help="require AUTH with this user and password")
    parser.add_argument("--tls-cert", metavar="PEM",
                        help="offer and require STARTTLS with this certificate (chain)")
    parser.add_argument("--tls-key", metavar="PEM", help="the --tls-cert certificate's key")
    args = parser.parse_args()

    # aiosmtpd logs every session; only real failures are worth a test's stderr.
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    logging.getLogger("mail.log").addFilter(QuietTlsRefusals())
    os.makedirs(args.out, exist_ok=True)
    authenticator = None
    if args.auth is not None:
        user, _, password = args.auth.partition(":")
        authenticator = Authenticator(args.out, user, password)
    tls_context = None
    if args.tls_cert is not None:
        tls_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        tls_context.load_cert_chain(args.tls_cert, args.tls_key)
    controller = start(SaveMessages(args.out, args.reject_rcpt, args.defer_rcpt,
                                    tls_context is not None),
                       args.port, authenticator, tls_context)
    try:
        print(controller.port, flush=True)
        wait_for_stdin_eof(args.timeout)
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
