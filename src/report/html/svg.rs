//! Charts drawn as SVG by pumphound: readable with JavaScript off, themed by CSS classes (dark
//! mode and print change colours, not the markup), every chart a `role="img"` with a title and
//! a description, every mark carrying its value (`data-v`) and a `<title>` tooltip. Nothing from
//! the input reaches the markup unescaped: maud escapes text and attributes.

use super::data::{Axis, Conversion, Grid, Series};
use crate::units::{number, time};
use maud::{Markup, html};

/// Drawing width (the SVG scales to its container).
pub const W: f64 = 960.0;
const LEFT: f64 = 64.0;
const RIGHT: f64 = 12.0;

/// A coordinate with one decimal, the precision every chart is drawn at.
fn c(v: f64) -> String {
    let v = (v * 10.0).round() / 10.0 + 0.0;
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// 1, 2 or 5 times a power of ten, at least `raw`.
pub fn nice(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 1.0;
    }
    let p = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0].into_iter().map(|m| m * p).find(|v| *v >= raw * 0.999_999).unwrap_or(10.0 * p)
}

/// The y scale's top and tick step for values up to `max`: at most five ticks.
pub fn y_ticks(max: f64) -> (f64, f64) {
    let step = nice(max / 4.0);
    let top = ((max / step).ceil() * step).max(step);
    (top, step)
}

/// Time ticks: a step of 1, 3, 6, 12 hours or 1, 2, 7, 14, 28 days giving at most 8 ticks.
fn time_ticks(a: &Axis) -> Vec<i64> {
    const H: i64 = 3_600_000;
    let span = a.end() - a.start;
    let step = [H, 3 * H, 6 * H, 12 * H, 24 * H, 48 * H, 168 * H, 336 * H, 672 * H]
        .into_iter()
        .find(|s| span / s <= 8)
        .unwrap_or(span / 8 / (24 * H) * (24 * H) + 24 * H);
    let first = (a.start + step - 1).div_euclid(step) * step;
    (0..).map(|i| first + i * step).take_while(|t| *t <= a.end()).collect()
}

/// `03-08 02:00` on hourly axes, `2024-03-08` on coarser ones (UTC).
fn tick_label(a: &Axis, t: i64) -> String {
    let s = time(t);
    if a.step < 24 * 3_600_000 && t % (24 * 3_600_000) != 0 { format!("{} {}", &s[5..10], &s[11..16]) } else { s[..10].to_string() }
}

struct Frame {
    axis: Axis,
    top: f64,
    height: f64,
    plot: f64,
}

impl Frame {
    fn x(&self, t: i64) -> f64 {
        LEFT + (t - self.axis.start) as f64 / (self.axis.end() - self.axis.start) as f64 * (W - LEFT - RIGHT)
    }
    fn bx(&self, b: usize) -> f64 {
        self.x(self.axis.start + self.axis.step * b as i64)
    }
    fn y(&self, v: f64) -> f64 {
        8.0 + self.plot - v / self.top * self.plot
    }
    /// Axes, grid lines and labels.
    fn axes(&self, y_step: f64, y_label: &dyn Fn(f64) -> String) -> Markup {
        let ticks = time_ticks(&self.axis);
        let ys: Vec<f64> = (0..).map(|i| i as f64 * y_step).take_while(|v| *v <= self.top * 1.000_001).collect();
        html! {
            g.axis aria-hidden="true" {
                @for v in &ys {
                    line.grid x1=(c(LEFT)) x2=(c(W - RIGHT)) y1=(c(self.y(*v))) y2=(c(self.y(*v))) {}
                    text.ylab x=(c(LEFT - 6.0)) y=(c(self.y(*v) + 4.0)) { (y_label(*v)) }
                }
                @for t in &ticks {
                    line.tick x1=(c(self.x(*t))) x2=(c(self.x(*t))) y1=(c(8.0 + self.plot)) y2=(c(12.0 + self.plot)) {}
                    text.xlab x=(c(self.x(*t))) y=(c(self.plot + 26.0)) { (tick_label(&self.axis, *t)) }
                }
                line.base x1=(c(LEFT)) x2=(c(W - RIGHT)) y1=(c(8.0 + self.plot)) y2=(c(8.0 + self.plot)) {}
            }
        }
    }
}

/// An SVG image with its accessible name and description.
fn svg(id: &str, height: f64, title: &str, desc: &str, body: Markup) -> Markup {
    html! {
        svg role="img" viewBox={ "0 0 " (c(W)) " " (c(height)) } aria-labelledby={ (id) "-t " (id) "-d" } {
            title id={ (id) "-t" } { (title) }
            desc id={ (id) "-d" } { (desc) }
            (body)
        }
    }
}

/// An incident window to shade: id, severity class, start, end.
pub struct Shade<'a> {
    pub id: &'a str,
    pub severity: &'a str,
    pub start: i64,
    pub end: i64,
}

fn shades(f: &Frame, windows: &[Shade]) -> Markup {
    html! {
        @for w in windows {
            @let (x0, x1) = (f.x(w.start.max(f.axis.start)), f.x(w.end.min(f.axis.end())));
            g.window {
                rect class={ "shade sev-" (w.severity) } x=(c(x0)) y="8" width=(c((x1 - x0).max(2.0))) height=(c(f.plot)) {
                    title { (w.id) " (" (w.severity) "): " (time(w.start)) " to " (time(w.end)) }
                }
                text.wlab x=(c(x0 + 2.0)) y="20" { (w.id) }
            }
        }
    }
}

/// Spend per bucket stacked by country, incident windows shaded.
pub fn spend(id: &str, axis: Axis, series: &[Series], windows: &[Shade], currency: &str, desc: &str) -> Markup {
    let totals: Vec<f64> = (0..axis.buckets).map(|b| series.iter().map(|s| s.values[b]).sum()).collect();
    let (top, step) = y_ticks(totals.iter().copied().fold(0.0, f64::max));
    let f = Frame { axis, top, height: 250.0, plot: 210.0 };
    let mut base = vec![0.0; axis.buckets];
    let mut paths = Vec::new();
    for (i, s) in series.iter().enumerate() {
        // A step outline: each bucket a flat top from its start to its end.
        let mut d = String::new();
        for (b, v) in s.values.iter().enumerate() {
            let y = f.y(base[b] + v);
            d.push_str(&format!("{}{} {}H{}", if b == 0 { "M" } else { "L" }, c(f.bx(b)), c(y), c(f.bx(b + 1))));
        }
        for b in (0..axis.buckets).rev() {
            d.push_str(&format!("L{} {}H{}", c(f.bx(b + 1)), c(f.y(base[b])), c(f.bx(b))));
        }
        d.push('Z');
        for (b, v) in s.values.iter().enumerate() {
            base[b] += v;
        }
        paths.push((i, d));
    }
    let money = |v: f64| crate::units::money(v, currency);
    let body = html! {
        (f.axes(step, &|v| number(v)))
        (shades(&f, windows))
        @for (i, d) in &paths {
            path class={ "area s" (i) } d=(d) data-series=(series[*i].name) {
                title { (series[*i].name) ": " (money(series[*i].values.iter().sum())) " in the period" }
            }
        }
    };
    svg(id, f.height, &format!("Spend per {} by destination country ({currency})", axis.unit()), desc, body)
}

/// One country's spend per bucket, with its usual band (median to 95th percentile outside the
/// incidents) shaded.
pub fn band(id: &str, axis: Axis, s: &Series, index: usize, windows: &[Shade], currency: &str) -> Markup {
    let max = s.values.iter().copied().fold(s.band.1, f64::max);
    let (top, step) = y_ticks(max);
    let f = Frame { axis, top, height: 120.0, plot: 80.0 };
    let mut d = String::new();
    for (b, v) in s.values.iter().enumerate() {
        d.push_str(&format!("{}{} {}H{}", if b == 0 { "M" } else { "L" }, c(f.bx(b)), c(f.y(*v)), c(f.bx(b + 1))));
    }
    let (lo, hi) = (f.y(s.band.0), f.y(s.band.1));
    let desc = format!(
        "{}: usual spend per {} {} to {} (median to 95th percentile outside incidents); highest {}",
        s.name,
        axis.unit(),
        crate::units::money(s.band.0, currency),
        crate::units::money(s.band.1, currency),
        crate::units::money(max, currency)
    );
    let body = html! {
        (f.axes(step * 2.0, &|v| number(v)))
        (shades(&f, windows))
        rect.band x=(c(LEFT)) y=(c(hi)) width=(c(W - LEFT - RIGHT)) height=(c((lo - hi).max(1.0))) {
            title { "usual band: " (number(s.band.0)) " to " (number(s.band.1)) }
        }
        path class={ "line s" (index) } d=(d) {}
        text.name x=(c(LEFT + 4.0)) y="20" { (s.name) }
    };
    svg(id, f.height, &format!("Spend to {} per {} with its usual band", s.name, axis.unit()), &desc, body)
}

/// Incidents as bars on the report's time axis, one lane each.
pub fn timeline(id: &str, axis: Axis, lanes: &[Shade], costs: &[String]) -> Markup {
    let f = Frame { axis, top: 1.0, height: 40.0 + 24.0 * lanes.len() as f64, plot: 24.0 * lanes.len() as f64 };
    let desc = format!("{} incident(s) on the period's time axis", lanes.len());
    let body = html! {
        (f.axes(2.0, &|_| String::new()))
        @for (i, l) in lanes.iter().enumerate() {
            @let (x0, x1) = (f.x(l.start), f.x(l.end));
            @let y = 10.0 + 24.0 * i as f64;
            rect class={ "lane sev-" (l.severity) } x=(c(x0)) y=(c(y)) width=(c((x1 - x0).max(3.0))) height="18" data-mark="incident" data-id=(l.id) {
                title { (l.id) " (" (l.severity) "): " (time(l.start)) " to " (time(l.end)) ", " (costs[i]) }
            }
            // The label after the bar, else before it, else inside it (a bar across the axis).
            @let (lx, anchor, class) = if x1 < W - 220.0 { (x1 + 4.0, "start", "lab") } else if x0 > LEFT + 220.0 { (x0 - 4.0, "end", "lab") } else { (x0 + 4.0, "start", "lab in") };
            text class=(class) x=(c(lx)) y=(c(y + 13.0)) text-anchor=(anchor) { (l.id) " " (l.severity) " " (costs[i]) }
        }
    };
    svg(id, f.height, "Incidents over time", &desc, body)
}

/// A country's conversion by day, its baseline (dashed) and the 35 % line providers alert at.
pub fn conversion(id: &str, conv: &Conversion, windows: &[Shade]) -> Markup {
    let f = Frame { axis: conv.days, top: 1.0, height: 130.0, plot: 90.0 };
    let pts: Vec<(usize, f64, u64)> = conv
        .known
        .iter()
        .zip(&conv.verified)
        .enumerate()
        .filter(|(_, (k, _))| **k > 0)
        .map(|(d, (k, v))| (d, *v as f64 / *k as f64, *k))
        .collect();
    let mid = |d: usize| (f.bx(d) + f.bx(d + 1)) / 2.0;
    let d: String =
        pts.iter().enumerate().map(|(i, (d, r, _))| format!("{}{} {}", if i == 0 { "M" } else { "L" }, c(mid(*d)), c(f.y(*r)))).collect();
    let low = pts.iter().map(|p| p.1).fold(1.0, f64::min);
    let unit = conv.days.unit();
    let desc = format!(
        "{}: conversion by {unit}, baseline {:.1} %, lowest {unit} {:.1} % ({} with known conversion)",
        conv.country,
        100.0 * conv.baseline,
        100.0 * low,
        pts.len()
    );
    let body = html! {
        (f.axes(0.5, &|v| format!("{:.0} %", 100.0 * v)))
        (shades(&f, windows))
        line.ref x1=(c(LEFT)) x2=(c(W - RIGHT)) y1=(c(f.y(0.35))) y2=(c(f.y(0.35))) { title { "35 %: where providers alert" } }
        line.baseline x1=(c(LEFT)) x2=(c(W - RIGHT)) y1=(c(f.y(conv.baseline))) y2=(c(f.y(conv.baseline))) {
            title { "baseline " (format!("{:.1} %", 100.0 * conv.baseline)) }
        }
        path.rate d=(d) {}
        @for (day, r, n) in &pts {
            circle class=(if *n < 20 { "pt few" } else { "pt" }) cx=(c(mid(*day))) cy=(c(f.y(*r))) r="3" data-mark="day" data-v=(format!("{r:.4}")) {
                title { (time(conv.days.start + conv.days.step * *day as i64)[..10]) ": " (format!("{:.1} %", 100.0 * r)) " of " (n) " sends" }
            }
        }
        text.name x=(c(LEFT + 4.0)) y="20" { (conv.country) }
    };
    svg(id, f.height, &format!("Conversion to {} by {unit}", conv.country), &desc, body)
}

/// A pumped range's last two digits: a 10 x 10 grid, tens down and units across, each cell
/// shaded by the distinct numbers seen ending in it.
pub fn grid(id: &str, g: &Grid) -> Markup {
    let max = g.numbers.iter().copied().max().unwrap_or(0).max(1);
    let (cell, pad) = (22.0, 24.0);
    let size = pad + cell * 10.0 + 4.0;
    let desc = format!("{} of 100 endings hit, longest run of consecutive endings {}", g.filled, g.longest_run);
    let body = html! {
        @for d in 0..10 {
            text.ylab x=(c(pad - 4.0)) y=(c(pad + cell * d as f64 + 15.0)) { (d) "x" }
            text.xlab x=(c(pad + cell * d as f64 + cell / 2.0)) y=(c(pad - 6.0)) { "x" (d) }
        }
        @for (i, n) in g.numbers.iter().enumerate() {
            rect class=(if *n > 0 { "cell hit" } else { "cell" }) x=(c(pad + cell * (i % 10) as f64)) y=(c(pad + cell * (i / 10) as f64))
                width=(c(cell - 2.0)) height=(c(cell - 2.0)) fill-opacity=(if *n > 0 { c(0.25 + 0.75 * f64::from(*n) / f64::from(max)) } else { "1".into() })
                data-mark="ending" data-v=(n) {
                title { "…" (format!("{i:02}")) ": " (n) " numbers, " (g.messages[i]) " msgs" }
            }
        }
    };
    html! {
        svg role="img" viewBox={ "0 0 " (c(size)) " " (c(size)) } aria-labelledby={ (id) "-t " (id) "-d" } {
            title id={ (id) "-t" } { "Endings of " (g.range) }
            desc id={ (id) "-d" } { (desc) }
            (body)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps_and_ticks() {
        assert_eq!(nice(0.0), 1.0);
        assert_eq!(nice(3.0), 5.0);
        assert_eq!(nice(0.12), 0.2);
        assert_eq!(nice(1000.0), 1000.0);
        assert_eq!(y_ticks(0.0), (1.0, 1.0));
        assert_eq!(y_ticks(9.0), (10.0, 5.0));
        assert_eq!(y_ticks(101.0), (150.0, 50.0));
    }

    #[test]
    fn coordinates_have_one_decimal_and_no_negative_zero() {
        assert_eq!(c(-0.01), "0");
        assert_eq!(c(12.345), "12.3");
        assert_eq!(c(7.0), "7");
    }

    #[test]
    fn time_ticks_stay_on_the_axis() {
        let a = Axis::over(0, 14 * 24 * 3_600_000 - 1);
        let t = time_ticks(&a);
        assert!(t.len() <= 8 && t.len() >= 4, "{t:?}");
        assert!(t.iter().all(|x| *x >= a.start && *x <= a.end()));
    }
}
