"""``python -m linkcrawler``: the ``linkcrawler`` command (see :mod:`linkcrawler.cli`)."""

from linkcrawler.cli import main

main()
