"""Real mail servers for the mail tests, on loopback ports the tests pick.

- ``SmtpServer``: aiosmtpd in a thread; keeps every mail it accepted; can refuse recipients
  (550) and require a login.
- ``Dovecot``: the distribution's dovecot-imapd started with a temporary config, a passwd-file
  user and Maildir storage under a temporary folder. Skipped with the reason when dovecot is not
  installed, unless ``DTC_TUI_REQUIRE_DOVECOT`` is set (CI), where that is a failure.
"""

from __future__ import annotations

import imaplib
import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default as default_policy
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Received:
    envelope_from: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> Message:
        return message_from_bytes(self.data, policy=default_policy)


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    refuse: set[str] = field(default_factory=set)  # recipients answered with 550
    login: tuple[str, str] | None = None
    received: list[Received] = field(default_factory=list)
    _controller: object = None

    def start(self) -> SmtpServer:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        server = self

        class Handler:
            async def handle_RCPT(self, _server, _session, envelope, address, _options):
                if address in server.refuse:
                    return "550 5.1.1 no such user here"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, _server, _session, envelope):
                server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
                return "250 Message accepted"

        def authenticator(_server, _session, _envelope, mechanism, auth_data):
            ok = isinstance(auth_data, LoginPassword) and server.login == (
                auth_data.login.decode(),
                auth_data.password.decode(),
            )
            return AuthResult(success=ok, handled=False)

        kwargs: dict = {}
        if self.login:
            kwargs = {"authenticator": authenticator, "auth_require_tls": False, "auth_required": True}
        self._controller = Controller(Handler(), hostname="127.0.0.1", port=self.port, **kwargs)
        self._controller.start()  # type: ignore[attr-defined]
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()  # type: ignore[attr-defined]
            self._controller = None

    def wait_for(self, count: int, seconds: float = 10.0) -> list[Received]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


DOVECOT_CONF = """
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
info_log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:{root}/mail/%u
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
namespace inbox {{
  inbox = yes
  mailbox Processed {{
    auto = create
  }}
}}
"""


@dataclass
class Dovecot:
    root: Path
    port: int = field(default_factory=free_port)
    user: str = "support@shop.example"
    password: str = "s3cret-imap-pw"
    process: subprocess.Popen | None = None

    def start(self) -> Dovecot:
        for sub in ("run", "state", "mail", "home"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root, 0o755)
        (self.root / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}::::::\n")
        conf = self.root / "dovecot.conf"
        uid, gid = os.getuid(), os.getgid()
        if uid == 0:  # dovecot refuses to store mail as root: use its own unprivileged user
            import pwd

            entry = pwd.getpwnam("dovecot")
            uid, gid = entry.pw_uid, entry.pw_gid
            for sub in ("mail", "home"):
                os.chown(self.root / sub, uid, gid)
        conf.write_text(DOVECOT_CONF.format(root=self.root, port=self.port, uid=uid, gid=gid))
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.process = subprocess.Popen(
            [binary, "-F", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""
                log = (self.root / "dovecot.log").read_text() if (self.root / "dovecot.log").exists() else ""
                raise RuntimeError(f"dovecot exited: {output}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("dovecot did not open its port within 15 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
            self.process = None

    def connect(self) -> imaplib.IMAP4:
        imap = imaplib.IMAP4("127.0.0.1", self.port, timeout=30)
        imap.login(self.user, self.password)
        return imap

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        imap = self.connect()
        try:
            typ, data = imap.append(folder, "", imaplib.Time2Internaldate(time.time()), raw)
            assert typ == "OK", data
        finally:
            imap.logout()

    def flags(self, folder: str = "INBOX") -> list[bytes]:
        imap = self.connect()
        try:
            imap.select(folder, readonly=True)
            _typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
            return [d for d in data if isinstance(d, bytes)]
        finally:
            imap.logout()


def dovecot_or_skip() -> None:
    if shutil.which("dovecot") or Path("/usr/sbin/dovecot").exists():
        return
    reason = "dovecot is not installed (apt-get install dovecot-imapd; see README, Developing)"
    if os.environ.get("DTC_TUI_REQUIRE_DOVECOT"):
        pytest.fail(reason + " and DTC_TUI_REQUIRE_DOVECOT is set")
    pytest.skip(reason)
