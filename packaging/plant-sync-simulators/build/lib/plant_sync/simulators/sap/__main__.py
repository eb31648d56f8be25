"""``python -m plant_sync.simulators.sap --host 127.0.0.1 --port 8069x --db PATH --seed-demo``."""

from __future__ import annotations

import argparse
import json

from .server import SapSimulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="SAP S/4HANA simulator (OData v2 + RFC store)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8690)
    parser.add_argument("--db", default=None, help="SQLite file (kept across restarts)")
    parser.add_argument("--seed-demo", action="store_true", help="seed demo master data")
    parser.add_argument("--user", action="append", default=[], metavar="NAME:PASSWORD")
    parser.add_argument("--oauth-client", action="append", default=[], metavar="ID:SECRET")
    parser.add_argument("--client", action="append", default=[], metavar="SAP_CLIENT")
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args(argv)
    users = dict(u.split(":", 1) for u in args.user) or {"PLANT_SYNC": "Secret#1"}
    oauth = dict(c.split(":", 1) for c in args.oauth_client) or {
        "plant-sync-client": "client-secret"
    }
    sim = SapSimulator(
        db_path=args.db,
        host=args.host,
        port=args.port,
        users=users,
        oauth_clients=oauth,
        page_size=args.page_size,
        clients=tuple(args.client) or ("100",),
    )
    if args.seed_demo and sim.store.count("Equipment") == 0:
        info = sim.store.seed_demo()
        print(json.dumps({k: v for k, v in info.items() if k != "materials"}, default=str))
    print(f"SAP simulator on http://{args.host}:{args.port} (Ctrl+C to stop)", flush=True)
    try:
        sim.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sim.store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
