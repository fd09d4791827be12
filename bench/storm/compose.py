"""The Celery workers as docker-compose.yml declares them.

The storm runs every service whose command is `celery ... worker`, with its
options (pool, concurrency, queues, max tasks per child) and its own
environment lines, so a change to the production layout is what the next
run measures. Only names change: each worker gets a node name of its own
and the queues this run's (so nothing else on the broker takes its tasks).
No YAML library is needed for the two keys read here.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

SERVICE = re.compile(r"^  ([A-Za-z0-9_-]+):\s*$")
ENVIRONMENT_LINE = re.compile(r'^      ([A-Z][A-Z0-9_]*):\s*"?([^"$]*)"?\s*$')


def services(text: str) -> dict[str, dict]:
    """{service: {"command": [...], "environment": {...}}} for the services
    that have a command (in the flow-list form this file uses)."""
    found: dict[str, dict] = {}
    current = None
    command_text = ""
    in_environment = False
    for line in text.split("services:", 1)[1].splitlines():
        if match := SERVICE.match(line):
            current = found.setdefault(match.group(1), {"command": [], "environment": {}})
            in_environment = False
            continue
        if current is None:
            continue
        stripped = line.strip()
        if command_text:
            command_text += " " + stripped
        elif stripped.startswith("command: ["):
            command_text = stripped.removeprefix("command:").strip()
        if command_text and command_text.endswith("]"):
            current["command"] = json.loads(command_text)
            command_text = ""
            continue
        if line.startswith("    ") and not line.startswith("     "):
            in_environment = stripped == "environment:"
            continue
        if in_environment and (match := ENVIRONMENT_LINE.match(line)):
            current["environment"][match.group(1)] = match.group(2)
    return found


def worker_commands(path: Path, *, queues: dict[str, str]) -> dict[str, tuple[list[str], dict]]:
    """{service: (celery arguments after `celery`, extra environment)} for
    every worker service; `queues` renames the default queue ("default")
    and named ones."""
    workers = {}
    for name, service in services(path.read_text()).items():
        command = service["command"]
        if not command or command[0] != "celery" or "worker" not in command:
            continue
        args = list(command[1:])
        if "-n" in args:
            at = args.index("-n") + 1
            args[at] = f"storm-{args[at]}"
        else:
            args += ["-n", f"storm-{name}@%h"]
        if "-Q" in args:
            at = args.index("-Q") + 1
            args[at] = ",".join(queues.get(q, q) for q in args[at].split(","))
        workers[name] = (["celery", *args], service["environment"])
    return workers


def beat_command(path: Path, *, schedule: Path) -> tuple[list[str], dict] | None:
    """The `celery ... beat` service (periodic tasks: the webhook sweep among
    them), its schedule file moved to `schedule`; None without one."""
    for service in services(path.read_text()).values():
        command = service["command"]
        if command and command[0] == "celery" and "beat" in command:
            args = list(command[1:])
            if "--schedule" in args:
                args[args.index("--schedule") + 1] = str(schedule)
            else:
                args += ["--schedule", str(schedule)]
            return ["celery", *args], service["environment"]
    return None
