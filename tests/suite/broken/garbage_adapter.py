"""A stdio adapter that answers hello correctly and every store operation with garbage,
or with a response carrying the wrong id (``--wrong-id``): the harness must report each
test as an error of the adapter, never crash or call it a pass."""

from __future__ import annotations

import json
import sys


def main() -> None:
    wrong_id = "--wrong-id" in sys.argv
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "hello":
            result = {"name": "garbage", "version": "0", "protocol": 1, "capabilities": []}
            reply = json.dumps({"id": request["id"], "ok": True, "result": result})
        elif request["op"] == "shutdown":
            print(json.dumps({"id": request["id"], "ok": True, "result": None}), flush=True)
            return
        elif wrong_id:
            reply = json.dumps({"id": request["id"] + 1000, "ok": True, "result": []})
        else:
            reply = "this is not JSON {"
        print(reply, flush=True)


if __name__ == "__main__":
    main()
