"""``winnow mix``: curated outputs to a training mixture at a token budget.

:mod:`~winnow.mix.config` reads and checks the mixture config before Spark starts,
:mod:`~winnow.mix.sampling` draws each group's share deterministically,
:mod:`~winnow.mix.sharding` writes shuffled shards, :mod:`~winnow.mix.manifest`
describes the result (``MIX/manifest.json``, ``MIX/stats/mixture``) and
:mod:`~winnow.mix.command` is the command line.
"""
