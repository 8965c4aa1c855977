"""How fast the outbox queues and delivers notices, to a real SMTP server on loopback (aiosmtpd).

    python benchmarks/outbox_delivery.py [--messages 3000] [--database-url URL]

Queues ``--messages`` e-mails (one transaction) and delivers them in one sender round, then
prints the time of each and the messages per second; the SMTP server counts what it received.
The database is a fresh SQLite file unless ``--database-url`` names another (it must be empty).
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import time
from pathlib import Path

from aiosmtpd.controller import Controller


class Counter:
    """An SMTP handler that counts the messages it accepts."""

    def __init__(self) -> None:
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        self.received += 1
        return "250 Message accepted for delivery"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--database-url")
    args = parser.parse_args()

    from web import create_app, outbox
    from web.models import db

    handler = Counter()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    folder = Path(tempfile.mkdtemp(prefix="raquan-outbox-"))
    config = {
        "SECRET_KEY": "benchmark",
        "RAQUAN_OUTBOX_WORKER": "0",
        "RAQUAN_SMTP_HOST": "127.0.0.1",
        "RAQUAN_SMTP_PORT": str(port),
        "SQLALCHEMY_DATABASE_URI": args.database_url or f"sqlite:///{folder / 'outbox.db'}",
    }
    app = create_app(config, data_dir=folder)
    subject = "Nhắc lịch: ngày mai bạn có ca trực"
    body = "Chào bạn,\n\nNgày mai bạn trực Ca sáng 07:30–11:30 tại Phường Định Công.\n"
    with app.app_context():
        started = time.perf_counter()
        for i in range(args.messages):
            outbox.enqueue(
                f"bench:{i}", f"P{i:05d}", "email", f"p{i}@example.vn", subject, body, "reminder", commit=False
            )
        db.session.commit()
        queued = time.perf_counter() - started
        started = time.perf_counter()
        delivered = outbox.deliver_due(limit=args.messages)
        sending = time.perf_counter() - started
    controller.stop()
    backend = config["SQLALCHEMY_DATABASE_URI"].split(":", 1)[0]
    print(
        f"{backend}: queued {args.messages} in {queued:.2f} s; delivered {len(delivered.sent)} in {sending:.2f} s "
        f"= {len(delivered.sent) / sending:.0f} messages/s; the SMTP server received {handler.received}"
    )


if __name__ == "__main__":
    main()
