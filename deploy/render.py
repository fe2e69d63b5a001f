#!/usr/bin/env python3
"""Fill in the placeholders of a deploy template, such as deploy/nginx/*.conf.

A placeholder is a name in capitals between double braces. Every one in the
template needs a value; a missing value is an error that names it, and
nothing is written.

    python deploy/render.py deploy/nginx/accounts.conf \\
        LISTEN_HTTPS=443 LISTEN_HTTP=80 SERVER_NAME=accounts.example.com \\
        CERT=/etc/ssl/accounts/fullchain.pem KEY=/etc/ssl/accounts/privkey.pem \\
        STATIC_ROOT=/var/www/accounts/static \\
        UPSTREAMS='server 127.0.0.1:8001 max_fails=1 fail_timeout=5s;
    server 127.0.0.1:8002 max_fails=1 fail_timeout=5s;' \\
        -o /etc/accounts/nginx/accounts.conf

From Python: `render("deploy/nginx/accounts.conf", SERVER_NAME=..., ...)`
returns the text. Values may be numbers. A value of several lines keeps the
indentation of its placeholder on every line. Values are put in as they are:
nothing in them is substituted again.
"""

import argparse
import re
import sys
from pathlib import Path

PLACEHOLDER = re.compile(r"\{\{([A-Z][A-Z0-9_]*)\}\}")


class MissingValuesError(ValueError):
    """The template has placeholders no value was given for."""

    def __init__(self, template: Path, names: list[str]) -> None:
        self.names = names
        super().__init__(
            f"{template}: no value for {', '.join(names)}; pass each as NAME=value",
        )


def placeholders(text: str) -> list[str]:
    """The placeholder names in `text`, each once, in order of appearance."""
    return list(dict.fromkeys(PLACEHOLDER.findall(text)))


def render(template_path: str | Path, **values: object) -> str:
    """The template with every placeholder replaced by its value.

    Raises MissingValuesError, naming every placeholder without a value.
    Values for names the template does not use are ignored.
    """
    template = Path(template_path)
    text = template.read_text(encoding="utf-8")
    missing = [name for name in placeholders(text) if name not in values]
    if missing:
        raise MissingValuesError(template, missing)

    def substitute(match: re.Match[str]) -> str:
        line_start = text.rfind("\n", 0, match.start()) + 1
        before = text[line_start : match.start()]
        indent = before if before.isspace() else ""
        # Indent every further line that has text; leave empty ones empty.
        return re.sub(r"\n(?=[^\n])", "\n" + indent, str(values[match.group(1)]))

    return PLACEHOLDER.sub(substitute, text)


def parse_assignment(argument: str) -> tuple[str, str]:
    """NAME=value, for argparse."""
    name, equals, value = argument.partition("=")
    if not equals or not PLACEHOLDER.fullmatch("{{" + name + "}}"):
        message = f"expected NAME=value with NAME in capitals, got {argument!r}"
        raise argparse.ArgumentTypeError(message)
    return name, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Fill in the {{NAME}} placeholders of a deploy template.",
    )
    parser.add_argument("template", type=Path)
    parser.add_argument(
        "values",
        nargs="*",
        type=parse_assignment,
        metavar="NAME=value",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        help="write here instead of to standard output",
    )
    args = parser.parse_args(argv)
    values = dict(args.values)
    try:
        text = render(args.template, **values)
    except (MissingValuesError, OSError) as error:
        sys.stderr.write(f"render.py: {error}\n")
        return 2
    template_names = placeholders(args.template.read_text(encoding="utf-8"))
    unused = sorted(set(values) - set(template_names))
    if unused:
        sys.stderr.write(
            f"render.py: {args.template} has no placeholder for "
            f"{', '.join(unused)}; ignored\n",
        )
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
