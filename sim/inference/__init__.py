"""Fitting the model to an account's own history: data in, priors, simulator, ABC-SMC, scores.

Laid out as likelihood-free inference libraries lay it out: the data (`data`, `events`), the
priors (`priors`), the simulator as a pure function from parameters and seed to summary
statistics (`simulator`), the distance (`distance`), the sampler (`smc`), and scores of
forecasts (`scores`) are separate pieces; `fit`, `forecast` and `backtest` compose them.
"""
