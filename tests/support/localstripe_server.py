"""Run localstripe (test-only dependency) on 127.0.0.1 with its pickle store
switched off and our fidelity patches applied (see localstripe_patches);
prints the port it listens on as the first line.

Usage: python -m tests.support.localstripe_server [PORT]
"""

import logging
import socket
import sys

from aiohttp import web
from localstripe.resources import store

from .localstripe_card_element import teach_card_element
from .localstripe_patches import apply as apply_patches
from .localstripe_requests import record_requests


def main() -> None:
    # Before importing the server: it builds its routes from the patched tables.
    apply_patches()
    from localstripe import server

    record_requests(server.app)
    teach_card_element(server.app)

    # The shipped store rewrites a pickle in /tmp after every write; tests
    # want a clean, private fake that leaves nothing behind.
    type(store).dump_to_disk = lambda self: None
    type(store).try_load_from_disk = lambda self: None
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", port))
    print(sock.getsockname()[1], flush=True)
    logging.basicConfig(level=logging.WARNING)
    web.run_app(server.app, sock=sock, print=None, access_log=None)


if __name__ == "__main__":
    main()
