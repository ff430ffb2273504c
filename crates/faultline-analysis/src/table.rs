//! The analysis as a table for people (`analyze` without `--json`).

use std::fmt::Write as _;

use crate::Analysis;

/// The analysis in a few aligned sections: classes, overlap, hidden layers (dead
/// neurons named), regions, boundaries, junctions.
pub fn table(a: &Analysis) -> String {
    let mut out = String::new();
    let [[x0, x1], [y0, y1]] = a.grid.domain;
    let _ = writeln!(
        out,
        "grid        {}x{} over x [{x0}, {x1}], y [{y0}, {y1}]",
        a.grid.width, a.grid.height
    );
    let wide = a
        .classes
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(9);
    let _ = writeln!(
        out,
        "classes     {:wide$}   area      max score  fragments",
        ""
    );
    for (c, pieces) in a.classes.iter().zip(&a.regions.components) {
        let _ = writeln!(
            out,
            "  {:<wide$}  {:>6.2} %  {:>9.4}  {:>9}{}",
            c.name,
            100.0 * c.area,
            c.max_score,
            pieces,
            if c.dormant {
                "  DORMANT (never predicted here)"
            } else {
                ""
            }
        );
    }
    if let Some(o) = &a.overlap {
        let _ = writeln!(
            out,
            "overlap     {:.2} % of the plane has two or more outputs above 0.5, {:.2} % none",
            100.0 * o.ambiguous_area,
            100.0 * o.none_area
        );
        for p in o.pairs.iter().filter(|p| p.both_area > 0.0) {
            let _ = writeln!(
                out,
                "  {} and {} both above 0.5 on {:.2} %",
                a.classes[p.i].name,
                a.classes[p.j].name,
                100.0 * p.both_area
            );
        }
    }
    for l in &a.layers {
        let dead: Vec<String> = l
            .neurons
            .iter()
            .filter(|n| n.dead)
            .map(|n| n.index.to_string())
            .collect();
        let active: Vec<String> = l
            .neurons
            .iter()
            .map(|n| format!("{:.0}", 100.0 * n.active))
            .collect();
        let _ = writeln!(
            out,
            "layer {}     {} {} neurons, active % each: {}{}",
            l.index,
            l.neurons.len(),
            l.activation,
            if active.len() > 16 {
                format!("{} ...", active[..16].join(" "))
            } else {
                active.join(" ")
            },
            if dead.is_empty() {
                String::new()
            } else {
                format!("; DEAD: {}", dead.join(", "))
            }
        );
    }
    if let Some(p) = a.regions.activation_patterns {
        let _ = writeln!(
            out,
            "patterns    {p} distinct relu on/off patterns over the grid"
        );
    }
    for b in &a.boundaries {
        if b.length > 0.0 {
            let _ = writeln!(
                out,
                "crossing    {} = {}: length {:.4}, {:.1} % decision boundary",
                a.classes[b.i].name,
                a.classes[b.j].name,
                b.length,
                100.0 * b.on_decision
            );
        }
    }
    let _ = writeln!(out, "junctions   {}", a.junctions.len());
    for j in a.junctions.iter().take(12) {
        let names: Vec<&str> = j
            .classes
            .iter()
            .map(|&k| a.classes[k as usize].name.as_str())
            .collect();
        let _ = writeln!(out, "  at ({:.4}, {:.4}): {}", j.x, j.y, names.join(", "));
    }
    if a.junctions.len() > 12 {
        let _ = writeln!(out, "  and {} more", a.junctions.len() - 12);
    }
    out
}
