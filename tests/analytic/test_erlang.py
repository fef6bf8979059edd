import math

import numpy as np
import pytest
import scipy.linalg
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analytic.erlang import ErlangA, ErlangC, agents_for_service_level, erlang_b

# --- Erlang B / C known values -------------------------------------------------------------


def test_erlang_b_small_cases_by_hand() -> None:
    # B(1) = a/(1+a); B(2) = (a^2/2) / (1 + a + a^2/2)
    assert erlang_b(2.0, 1) == pytest.approx(2.0 / 3.0, abs=1e-15)
    assert erlang_b(2.0, 2) == pytest.approx(0.4, abs=1e-15)
    assert erlang_b(3.0, 0) == 1.0
    assert erlang_b(0.0, 3) == 0.0


def test_erlang_b_matches_factorial_formula() -> None:
    a, c = 7.5, 12
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    assert erlang_b(a, c) == pytest.approx(terms[-1] / sum(terms), rel=1e-12)


def test_erlang_c_known_value() -> None:
    q = ErlangC(arrival_rate=9.0, service_rate=1.0, agents=10)
    assert round(q.prob_wait, 4) == 0.6687
    assert round(q.mean_wait, 4) == 0.6687
    assert q.offered_load == 9.0
    assert q.utilization == pytest.approx(0.9)
    assert q.mean_queue_length == pytest.approx(9.0 * q.mean_wait)


def test_erlang_c_matches_direct_formula() -> None:
    lam, mu, c = 4.2, 0.5, 11
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    c_prob = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    q = ErlangC(lam, mu, c)
    assert q.prob_wait == pytest.approx(c_prob, rel=1e-12)
    assert q.service_level(0.3) == pytest.approx(1 - c_prob * math.exp(-(c * mu - lam) * 0.3))


def test_erlang_c_service_level_and_quantile() -> None:
    q = ErlangC(9.0, 1.0, 10)
    assert q.service_level(0.0) == pytest.approx(1 - q.prob_wait)
    assert q.service_level(math.inf) == 1.0
    assert q.wait_quantile(0.0) == 0.0
    assert q.wait_quantile(0.2) == 0.0  # 1 - C = 0.33 of arrivals do not wait at all
    for p in (0.5, 0.9, 0.99):
        t = q.wait_quantile(p)
        assert t > 0
        assert q.service_level(t) == pytest.approx(p, abs=1e-12)


# --- Erlang A --------------------------------------------------------------------------------


def test_erlang_a_tends_to_erlang_c_as_patience_grows() -> None:
    c_model = ErlangC(9.0, 1.0, 10)
    a_model = ErlangA(9.0, 1.0, 10, abandon_rate=1e-6)
    assert a_model.prob_wait == pytest.approx(c_model.prob_wait, rel=1e-4)
    assert a_model.mean_wait == pytest.approx(c_model.mean_wait, rel=1e-4)
    assert a_model.mean_queue_length == pytest.approx(c_model.mean_queue_length, rel=1e-4)
    assert a_model.utilization == pytest.approx(c_model.utilization, rel=1e-4)
    for t in (0.0, 0.1, 0.5, 1.0, 3.0, 10.0):
        assert a_model.service_level(t) == pytest.approx(c_model.service_level(t), abs=1e-4)


def test_erlang_a_many_agents_no_abandonment() -> None:
    q = ErlangA(5.0, 1.0, 40, abandon_rate=2.0)
    assert q.prob_abandon < 1e-12
    assert q.prob_wait < 1e-12
    assert q.service_level(0.0) == pytest.approx(1.0, abs=1e-12)
    assert q.utilization == pytest.approx(5.0 / 40.0)


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta"),
    [(9.0, 1.0, 10, 0.3), (14.0, 1.0, 10, 0.5), (2.0, 1.5, 1, 0.2), (50.0, 0.2, 200, 0.05)],
)
def test_erlang_a_service_level_limits(lam: float, mu: float, c: int, theta: float) -> None:
    q = ErlangA(lam, mu, c, theta)
    assert q.service_level(0.0) == pytest.approx(1 - q.prob_wait, abs=1e-12)
    assert q.service_level(math.inf) == pytest.approx(1 - q.prob_abandon, abs=1e-9)
    assert q.service_level(1e4 / theta) == pytest.approx(q.prob_answered_eventually, abs=1e-9)
    assert q.utilization == pytest.approx(lam * (1 - q.prob_abandon) / (c * mu))
    assert q.mean_wait == pytest.approx(q.mean_queue_length / lam)


def _direct_erlang_a(
    lam: float, mu: float, c: int, theta: float, t: float, n_max: int = 400
) -> tuple[float, float, float, float]:
    """Solve the truncated chain with dense linear algebra: (P(wait), E[Q], P(ab), SL(t))."""
    size = n_max + 1
    gen = np.zeros((size, size))
    for n in range(size):
        if n + 1 < size:
            gen[n, n + 1] = lam
        if n > 0:
            gen[n, n - 1] = min(n, c) * mu + max(n - c, 0) * theta
        gen[n, n] = -gen[n].sum()
    # pi Q = 0 with sum(pi) = 1, as an overdetermined least-squares system
    system = np.vstack([gen.T, np.ones(size)])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi = np.linalg.lstsq(system, rhs, rcond=None)[0]
    queue = np.maximum(np.arange(size) - c, 0)
    mean_q = float(queue @ pi)
    # tagged customer: transient states j = 0..J ahead, then "answered", then "abandoned"
    n_ahead = size - c
    tag = np.zeros((n_ahead + 2, n_ahead + 2))
    answered, abandoned = n_ahead, n_ahead + 1
    for j in range(n_ahead):
        if j == 0:
            tag[0, answered] = c * mu
        else:
            tag[j, j - 1] = c * mu + j * theta
        tag[j, abandoned] = theta
        tag[j, j] = -tag[j].sum()
    p_answered = scipy.linalg.expm(tag * t)[:n_ahead, answered]
    sl = float(pi[:c].sum() + pi[c:] @ p_answered)
    return float(pi[c:].sum()), mean_q, theta * mean_q / lam, sl


@pytest.mark.parametrize(
    ("lam", "mu", "c", "theta"),
    [(0.8, 1.0, 1, 0.5), (2.0, 1.0, 1, 0.3), (1.0, 2.0, 1, 1.0), (4.0, 1.0, 3, 0.4)],
)
def test_erlang_a_matches_direct_chain(lam: float, mu: float, c: int, theta: float) -> None:
    q = ErlangA(lam, mu, c, theta)
    for t in (0.0, 0.3, 1.0, 4.0):
        p_wait, mean_q, p_ab, sl = _direct_erlang_a(lam, mu, c, theta, t)
        assert q.prob_wait == pytest.approx(p_wait, abs=1e-9)
        assert q.mean_queue_length == pytest.approx(mean_q, abs=1e-9)
        assert q.prob_abandon == pytest.approx(p_ab, abs=1e-9)
        assert q.service_level(t) == pytest.approx(sl, abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.1, 50.0),
    mu=st.floats(0.1, 5.0),
    c=st.integers(1, 60),
    theta=st.floats(0.01, 5.0),
    t1=st.floats(0.0, 20.0),
    t2=st.floats(0.0, 20.0),
)
def test_erlang_a_service_level_monotone_in_t(
    lam: float, mu: float, c: int, theta: float, t1: float, t2: float
) -> None:
    q = ErlangA(lam, mu, c, theta)
    lo, hi = sorted((t1, t2))
    s_lo, s_hi = q.service_level(lo), q.service_level(hi)
    assert s_lo <= s_hi + 1e-12
    assert s_lo >= -1e-12
    assert s_hi <= q.prob_answered_eventually + 1e-9


@settings(max_examples=60, deadline=None)
@given(
    lam=st.floats(0.1, 50.0),
    mu=st.floats(0.1, 5.0),
    c=st.integers(1, 60),
    theta=st.floats(0.01, 5.0),
)
def test_erlang_a_abandonment_falls_with_more_agents(
    lam: float, mu: float, c: int, theta: float
) -> None:
    fewer, more = ErlangA(lam, mu, c, theta), ErlangA(lam, mu, c + 1, theta)
    assert more.prob_abandon <= fewer.prob_abandon + 1e-12
    assert 0.0 <= more.prob_abandon <= 1.0
    assert 0.0 <= fewer.prob_wait <= 1.0 + 1e-12


# --- Large pools -----------------------------------------------------------------------------


def test_large_pool_is_finite() -> None:
    c_model = ErlangC(900.0, 1.0, 1000)
    values = [c_model.prob_wait, c_model.mean_wait, c_model.service_level(0.01)]
    a_model = ErlangA(900.0, 1.0, 1000, abandon_rate=0.5)
    values += [a_model.prob_wait, a_model.prob_abandon, a_model.service_level(0.01)]
    overloaded = ErlangA(1200.0, 1.0, 1000, abandon_rate=0.1)
    values += [overloaded.prob_abandon, overloaded.service_level(1.0)]
    assert all(math.isfinite(v) for v in values)
    assert 0.0 < c_model.prob_wait < 0.01
    assert a_model.prob_wait == pytest.approx(c_model.prob_wait, rel=0.1)
    # overloaded: at least the excess 200/1200 must abandon
    assert overloaded.prob_abandon == pytest.approx(1 / 6, abs=1e-3)
    assert ErlangC(4990.0, 1.0, 5000).prob_wait > 0.0


def test_erlang_b_large_pool() -> None:
    b = erlang_b(9000.0, 10000)
    assert math.isfinite(b) and 0.0 <= b < 1e-10


# --- Staffing ---------------------------------------------------------------------------------


def test_agents_for_service_level_80_20() -> None:
    # 100 calls per half hour, 3-minute handle time, 80% answered within 20 seconds
    lam, mu, t, level = 100 / 30, 1 / 3, 20 / 60, 0.8
    c = agents_for_service_level(lam, mu, t, level)
    assert ErlangC(lam, mu, c).service_level(t) >= level
    assert c - 1 <= lam / mu or ErlangC(lam, mu, c - 1).service_level(t) < level
    # 10 Erlangs: 13 agents answer 79.6% within 20 s, 14 agents 88.8% (factorial formula)
    assert c == 14
    assert ErlangC(lam, mu, 13).service_level(t) == pytest.approx(0.79559, abs=1e-5)


def test_agents_for_service_level_zero_target_is_smallest_stable() -> None:
    assert agents_for_service_level(9.0, 1.0, 0.0, 0.0) == 10
    assert agents_for_service_level(9.5, 1.0, 1.0, 0.0) == 10


# --- Validation -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"arrival_rate": 0.0}, "arrival_rate"),
        ({"arrival_rate": -1.0}, "arrival_rate"),
        ({"arrival_rate": math.nan}, "arrival_rate"),
        ({"service_rate": 0.0}, "service_rate"),
        ({"service_rate": math.inf}, "service_rate"),
        ({"agents": 0}, "agents"),
        ({"agents": -1}, "agents"),
        ({"agents": 2.5}, "agents"),
    ],
)
def test_erlang_c_rejects_bad_parameters(kwargs: dict[str, float], name: str) -> None:
    params: dict[str, float] = {"arrival_rate": 1.0, "service_rate": 1.0, "agents": 3}
    params.update(kwargs)
    with pytest.raises(ValueError, match=name):
        ErlangC(**params)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=name):
        ErlangA(**params, abandon_rate=1.0)  # type: ignore[arg-type]


def test_erlang_c_rejects_unstable_queue() -> None:
    with pytest.raises(ValueError, match=r"agents\(=9\).*stable"):
        ErlangC(9.0, 1.0, 9)
    with pytest.raises(ValueError, match="stable"):
        ErlangC(10.0, 1.0, 9)
    ErlangA(10.0, 1.0, 9, 0.5)  # abandonment keeps Erlang A stable


def test_error_messages_show_value_and_rule() -> None:
    with pytest.raises(ValueError, match=r"^agents\(=-1\) must be >= 1$"):
        ErlangC(1.0, 1.0, -1)
    with pytest.raises(ValueError, match=r"abandon_rate\(=0\.0\) must be > 0"):
        ErlangA(1.0, 1.0, 2, 0.0)
    with pytest.raises(ValueError, match=r"abandon_rate"):
        ErlangA(1.0, 1.0, 2, -3.0)


def test_rejects_bad_call_arguments() -> None:
    q, a = ErlangC(1.0, 1.0, 2), ErlangA(1.0, 1.0, 2, 1.0)
    for bad_t in (-1.0, math.nan):
        with pytest.raises(ValueError, match="t"):
            q.service_level(bad_t)
        with pytest.raises(ValueError, match="t"):
            a.service_level(bad_t)
    for bad_p in (-0.1, 1.0, math.nan):
        with pytest.raises(ValueError, match="p"):
            q.wait_quantile(bad_p)
    with pytest.raises(ValueError, match="load"):
        erlang_b(-1.0, 2)
    with pytest.raises(ValueError, match="agents"):
        erlang_b(1.0, -2)
    with pytest.raises(ValueError, match="target_level"):
        agents_for_service_level(1.0, 1.0, 1.0, 1.0)
    with pytest.raises(ValueError, match="target_time"):
        agents_for_service_level(1.0, 1.0, -1.0, 0.5)
    with pytest.raises(ValueError, match="arrival_rate"):
        agents_for_service_level(0.0, 1.0, 1.0, 0.5)
    with pytest.raises(ValueError, match="service_rate"):
        agents_for_service_level(1.0, -1.0, 1.0, 0.5)


def test_abandon_rate_too_small_for_overload_is_refused() -> None:
    with pytest.raises(ValueError, match="abandon_rate"):
        ErlangA(2000.0, 1.0, 1000, abandon_rate=1e-6)._stationary  # noqa: B018
