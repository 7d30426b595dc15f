//! Binomial tail scores, −ln P: by the Chernoff bound, n·KL(observed share ‖ expected share)
//! (pumped-range's sequential numbers and returning share), and exactly (round-the-clock's two
//! tests, [`exact_above`], [`exact_below`]).

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

/// ln P(X = k) for X ~ Binomial(n, p), 0 < p < 1.
fn ln_pmf(n: f64, k: f64, p: f64) -> f64 {
    libm::lgamma(n + 1.0) - libm::lgamma(k + 1.0) - libm::lgamma(n - k + 1.0) + k * p.ln() + (n - k) * (1.0 - p).ln()
}

/// −ln of a tail's sum from its first term, `ln_first`, each next term `ratio(j)` times the one
/// before (j counting from 0): the terms fall geometrically past the mean, and the sum stops
/// once they no longer change it, or after `terms`.
fn ln_tail(ln_first: f64, terms: usize, ratio: impl Fn(f64) -> f64) -> f64 {
    let (mut sum, mut term) = (1.0f64, 1.0f64);
    for j in 0..terms {
        term *= ratio(j as f64);
        sum += term;
        if term < sum * 1e-17 {
            break;
        }
    }
    -(ln_first + sum.ln())
}

/// −ln P(X ≥ share·n) for X ~ Binomial(n, p), summed exactly: 0 unless share > p. The
/// Chernoff bound ([`above`]) leaves out the tail's polynomial factor: 142 new numbers, 23 of
/// them in a country's quiet hours where 9 % would be, score 5.5 exactly and 3.7 by the bound.
pub fn exact_above(share: f64, n: f64, p: f64) -> f64 {
    if share <= p || p <= 0.0 || p >= 1.0 || n <= 0.0 {
        return 0.0;
    }
    let n = n.round();
    let k = (share * n).round().min(n);
    let odds = p / (1.0 - p);
    ln_tail(ln_pmf(n, k, p), (n - k) as usize, |j| (n - k - j) / (k + j + 1.0) * odds)
}

/// −ln P(X ≤ share·n) for X ~ Binomial(n, p), summed exactly: 0 unless share < p.
pub fn exact_below(share: f64, n: f64, p: f64) -> f64 {
    if share >= p || p <= 0.0 || p >= 1.0 || n <= 0.0 {
        return 0.0;
    }
    let n = n.round();
    let k = (share.max(0.0) * n).round();
    let odds = (1.0 - p) / p;
    ln_tail(ln_pmf(n, k, p), k as usize, |j| (k - j) / (n - k + j + 1.0) * odds)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// −ln of the tail summed term by term from the probabilities themselves.
    fn brute(n: u32, ks: impl Iterator<Item = u32>, p: f64) -> f64 {
        let choose = |k: u32| (0..k).fold(1.0f64, |c, i| c * f64::from(n - i) / f64::from(i + 1));
        -ks.map(|k| choose(k) * p.powi(k as i32) * (1.0 - p).powi((n - k) as i32)).sum::<f64>().ln()
    }

    #[test]
    fn exact_tails_are_the_sums_of_their_terms_and_never_under_the_bound() {
        for (n, k, p) in [(50u32, 10u32, 0.09), (142, 23, 0.09), (60, 30, 0.3), (80, 80, 0.5), (100, 9, 0.08)] {
            let share = f64::from(k) / f64::from(n);
            let exact = exact_above(share, f64::from(n), p);
            let truth = brute(n, k..=n, p);
            assert!((exact - truth).abs() < 1e-9 * truth.max(1.0), "above {n} {k} {p}: {exact} vs {truth}");
            assert!(exact >= above(share, f64::from(n), p) - 1e-9, "the bound is an upper bound on P");
        }
        for (n, k, p) in [(140u32, 0u32, 0.15), (200, 10, 0.15), (60, 5, 0.3), (1000, 100, 0.11)] {
            let share = f64::from(k) / f64::from(n);
            let exact = exact_below(share, f64::from(n), p);
            let truth = brute(n, 0..=k, p);
            assert!((exact - truth).abs() < 1e-9 * truth.max(1.0), "below {n} {k} {p}: {exact} vs {truth}");
            assert!(exact >= below(share, f64::from(n), p) - 1e-9);
        }
        // The usual side scores nothing; none of 140 sends returning where 15 % would is
        // exactly 140·ln(1/0.85), as the bound says.
        assert_eq!(exact_above(0.05, 100.0, 0.08), 0.0);
        assert_eq!(exact_below(0.2, 100.0, 0.15), 0.0);
        assert!((exact_below(0.0, 140.0, 0.15) - 140.0 * (1.0f64 / 0.85).ln()).abs() < 1e-9);
        assert!((exact_above(23.0 / 142.0, 142.0, 0.09) - 5.474).abs() < 1e-3);
        // Millions of sends, within a few standard deviations of the mean: finite and small.
        let near = exact_below(0.1495, 2_000_000.0, 0.15);
        assert!(near.is_finite() && near > 0.0 && near < 30.0, "{near}");
    }
}
