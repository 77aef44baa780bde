"""`python -m ioncli` runs the same CLI as the `ion` command."""

from ioncli.cli import main

if __name__ == "__main__":
    main()
