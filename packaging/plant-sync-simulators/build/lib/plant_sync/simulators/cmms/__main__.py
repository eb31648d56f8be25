"""Run the CMMS simulator:
``python -m plant_sync.simulators.cmms --port 8071 --db cmms.sqlite --seed-demo``."""

from __future__ import annotations

import argparse
import signal
import threading

from .server import CmmsSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Plant Sync CMMS simulator (Maximo/SOAP/REST)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8071)
    parser.add_argument("--db", default=None, help="SQLite file (default: in memory)")
    parser.add_argument("--api-key", default="maximo-key")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD")
    parser.add_argument("--page-size", type=int, default=50)
    parser.add_argument("--rest-signing-secret", default="")
    parser.add_argument("--webhook-url", default="")
    parser.add_argument("--webhook-secret", default="")
    parser.add_argument("--seed-demo", action="store_true", help="add demo assets/work orders")
    args = parser.parse_args(argv)
    users = dict(u.split(":", 1) for u in args.user) or {"maxadmin": "maxadmin"}
    sim = CmmsSimulator(
        db_path=args.db,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        users=users,
        page_size=args.page_size,
        rest_signing_secret=args.rest_signing_secret,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
    )
    if args.seed_demo and sim.store.count() == 0:
        sim.store.seed_demo()
    sim.start()
    print(f"CMMS simulator on {sim.url}", flush=True)
    print(f"  Maximo JSON: {sim.maximo_url}/api/os/mxapiwodetail", flush=True)
    print(f"  SOAP WSDL:   {sim.wsdl_url}", flush=True)
    print(f"  REST:        {sim.rest_url}/workorders", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
