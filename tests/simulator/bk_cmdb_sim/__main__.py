# Copyright: (c) 2026, blueking.cmdb contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the simulator until SIGTERM or SIGINT.

The first stdout line is the base URL; with --tls the second is "ca_file: <path>". Scripts read
those lines to find the server, so nothing else is printed to stdout.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading

from .demo import demo_state
from .server import Simulator


def _load_seed(seed):
    if seed is None:
        return None
    if seed == "demo":
        return demo_state()
    with open(seed, encoding="utf-8") as handle:
        return json.load(handle)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bk_cmdb_sim", description="BlueKing CMDB simulator (ESB front) on 127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="port to listen on; 0 picks a free one (default)")
    parser.add_argument("--seed", metavar="FILE.json|demo", help="initial state: a state JSON file, or 'demo' for the demo data")
    parser.add_argument("--tls", action="store_true", help="serve HTTPS with a certificate from a fresh private CA")
    parser.add_argument("--ca-file", metavar="PATH", help="with --tls: where to write the CA certificate (default: a temp dir)")
    args = parser.parse_args(argv)

    simulator = Simulator(state=_load_seed(args.seed), tls=args.tls, ca_file=args.ca_file)
    try:
        simulator.start(port=args.port)
    except OSError as error:
        # Most often the port is taken; --port 0 picks a free one.
        sys.stderr.write("bk_cmdb_sim: cannot listen on 127.0.0.1:%d: %s (use --port 0 for a free port)\n"
                         % (args.port, error.strerror or error))
        return 1
    sys.stdout.write(simulator.url + "\n")
    if args.tls:
        sys.stdout.write("ca_file: %s\n" % simulator.ca_file)
    sys.stdout.flush()

    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_signal: stop.set())
    # A plain wait() would not wake for signals on every platform; a timeout loop does.
    while not stop.wait(0.5):
        pass
    simulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
