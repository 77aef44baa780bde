"""The root `ion` command: composes the subcommands and owns the one error boundary.

Only light modules are imported here; pandas, numpy, grpc and google.cloud are imported
inside the commands so that `ion --help` stays fast.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from ioncli import __version__
from ioncli.commands import cost_report, dashboard, pull, serve, slo, tune_alerts
from ioncli.commands._common import SLEEP, AppState
from ioncli.errors import EXIT_UNEXPECTED, IonError
from ioncli.render import set_verbosity

app = typer.Typer(
    name="ion",
    help="Operations CLI for the ION Mentoring service on Cloud Run.",
    epilog="Exit codes: 0 ok, 1 unexpected error, 2 usage, 3 configuration, "
    "4 source unreachable or not enough data, 5 policy violation.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    # Plain help: rich-formatted help costs ~150 ms of imports on every `--help`.
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"ion {__version__}")
        raise typer.Exit()


@app.callback()
def root(  # noqa: PLR0917 (Typer passes options positionally)
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Config file (default: ./ion.toml, else [tool.ion] in pyproject.toml).",
            envvar="ION_CONFIG",
            dir_okay=False,
        ),
    ] = None,
    debug: Annotated[
        bool, typer.Option("--debug", help="Show tracebacks for unexpected errors.")
    ] = False,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet", "-q", help="Only the report and errors: no warnings or progress on stderr."
        ),
    ] = False,
    verbose: Annotated[
        bool,
        typer.Option(
            "--verbose", "-v", help="Also say on stderr what is fetched and how long it took."
        ),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", "-V", callback=_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Operations CLI for the ION Mentoring service on Cloud Run."""
    state = ctx.obj if isinstance(ctx.obj, AppState) else AppState()
    state.config_path = config
    state.debug = state.debug or debug
    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose do not go together", param_hint="--quiet")

    set_verbosity(-1 if quiet else 1 if verbose else 0)
    ctx.obj = state


def examples(epilog: str) -> str:
    """Lay a command's EPILOG out for plain help: one unwrapped block of example lines."""
    lines = [ln.strip() for ln in epilog.splitlines() if ln.strip()]
    commands = [ln for ln in lines if not ln.startswith("[")]
    # "\b" tells the help formatter not to rewrap the paragraph that follows.
    return "Examples:\n\n\b\n" + "\n".join(f"  {c}" for c in commands)


app.command("serve", epilog=examples(serve.EPILOG))(serve.serve)
app.command("dashboard", epilog=examples(dashboard.EPILOG))(dashboard.dashboard)
app.command("tune-alerts", epilog=examples(tune_alerts.EPILOG))(tune_alerts.tune_alerts)
app.command("cost-report", epilog=examples(cost_report.EPILOG))(cost_report.cost_report)
app.command("slo", epilog=examples(slo.EPILOG))(slo.slo)
app.command("pull", epilog=examples(pull.EPILOG))(pull.pull)


def _error_line(message: str) -> None:
    from rich.console import Console
    from rich.markup import escape

    console = Console(stderr=True, highlight=False, no_color="NO_COLOR" in os.environ)
    console.print(f"[bold red]error:[/bold red] {escape(message)}", soft_wrap=True)


def run(argv: list[str] | None = None, *, sleep: Callable[[float], None] | None = None) -> int:
    """Run the CLI and return its exit code; every failure is mapped here and only here.

    `sleep` replaces how commands wait (tests pass one that returns at once)."""
    args = sys.argv[1:] if argv is None else argv

    set_verbosity(0)  # in-process runs (tests) must not inherit the previous run's flag
    state = AppState(debug="--debug" in args or bool(os.environ.get("ION_DEBUG")))
    waiting = SLEEP.set(sleep) if sleep is not None else None
    try:
        # Standalone mode lets Typer print usage errors (exit 2), --help and --version
        # itself and leave through SystemExit; everything else reaches the handlers below.
        app(args=args, prog_name="ion", obj=state)
    except SystemExit as exc:
        return _exit_code(exc.code)
    except IonError as exc:
        _error_line(str(exc))
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:
        if state.debug:
            traceback.print_exc()
        else:
            _error_line(
                f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for the traceback)"
            )
        return EXIT_UNEXPECTED
    finally:
        if waiting is not None:
            SLEEP.reset(waiting)
    return 0


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    print(code, file=sys.stderr)
    return EXIT_UNEXPECTED


def main() -> None:
    """Entry point of the `ion` script."""
    sys.exit(run())
