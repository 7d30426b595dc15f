//! Binomial tail scores by the Chernoff bound, −ln P ≈ n·KL(observed share ‖ expected share):
//! round-the-clock's two tests and pumped-range's sequential numbers.

/// Kullback-Leibler divergence of Bernoulli(q) from Bernoulli(p).
fn kl(q: f64, p: f64) -> f64 {
    let term = |a: f64, b: f64| if a <= 0.0 { 0.0 } else { a * (a / b).ln() };
    term(q, p) + term(1.0 - q, 1.0 - p)
}

/// −ln P(X ≥ share·n) for X ~ Binomial(n, p), by the Chernoff bound: 0 unless share > p.
pub fn above(share: f64, n: f64, p: f64) -> f64 {
    if share <= p || p <= 0.0 || p >= 1.0 {
        0.0
    } else if share >= 1.0 {
        -n * p.ln()
    } else {
        n * kl(share, p)
    }
}

/// −ln P(X ≤ share·n) for X ~ Binomial(n, p): 0 unless share < p.
pub fn below(share: f64, n: f64, p: f64) -> f64 {
    if share >= p || p <= 0.0 || p >= 1.0 { 0.0 } else { n * kl(share.max(0.0), p) }
}
