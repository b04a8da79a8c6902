"""A real SMTP server for the notification tests: aiosmtpd, saving each message as it arrives.

Run by a Python that has aiosmtpd (Debian's /usr/bin/python3 with python3-aiosmtpd):
    python3 smtp_sink.py PORT OUTDIR [USER PASSWORD [CERT KEY [starttls|implicit]]]
Each message is saved as OUTDIR/<n>.eml (the raw bytes received) and OUTDIR/<n>.json (envelope
sender and recipients). With USER and PASSWORD the server requires AUTH (plain-text allowed: the
test talks over loopback). With CERT and KEY it requires TLS: STARTTLS (the default), or TLS from
the first byte ("implicit", smtps:// on the client's side). Prints READY once listening; stops on
SIGTERM.
"""
import json
import os
import signal
import ssl
import sys
import threading
import warnings

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Saver:
    def __init__(self, outdir):
        self.outdir = outdir
        self.n = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.n += 1
            base = os.path.join(self.outdir, f"{self.n:04d}")
        raw = envelope.original_content or envelope.content
        with open(base + ".eml.tmp", "wb") as f:
            f.write(raw)
        with open(base + ".json", "w") as f:
            json.dump({"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                       "auth": bool(session.authenticated),
                       # session.ssl is set by STARTTLS; implicit TLS shows on the transport.
                       "tls": session.ssl is not None or
                       server.transport.get_extra_info("ssl_object") is not None}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 Message accepted for delivery"


def main():
    port, outdir = int(sys.argv[1]), sys.argv[2]
    kwargs = {}
    # AUTH without TLS is what the test wants (loopback); aiosmtpd warns about it.
    warnings.simplefilter("ignore")
    if len(sys.argv) > 4:
        user, password = sys.argv[3].encode(), sys.argv[4].encode()

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and auth_data.login == user \
                and auth_data.password == password
            return AuthResult(success=ok, handled=False)

        kwargs = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
        if len(sys.argv) > 6:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(sys.argv[5], sys.argv[6])
            if len(sys.argv) > 7 and sys.argv[7] == "implicit":
                kwargs.update(ssl_context=ctx)
            else:
                kwargs.update(tls_context=ctx, require_starttls=True, auth_require_tls=True)
    controller = Controller(Saver(outdir), hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    print("READY", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
