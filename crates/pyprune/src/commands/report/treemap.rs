//! The squarified treemap layout (Bruls, Huizing and van Wijk, 2000): a
//! rectangle cut into tiles whose areas are proportional to weights, laid
//! out in rows that keep the tiles as close to squares as they can be.

/// A rectangle in the drawing's units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    pub x: f64,
    pub y: f64,
    pub w: f64,
    pub h: f64,
}

impl Rect {
    pub fn area(&self) -> f64 {
        self.w * self.h
    }

    /// The rectangle less `by` on every side (none left when it is too small).
    pub fn inset(&self, by: f64) -> Rect {
        Rect {
            x: self.x + by,
            y: self.y + by,
            w: (self.w - 2.0 * by).max(0.0),
            h: (self.h - 2.0 * by).max(0.0),
        }
    }
}

/// One tile per weight, in the order of `weights`, filling `area` in
/// proportion; a zero weight gets an empty tile at `area`'s corner.
pub fn squarify(weights: &[u64], area: Rect) -> Vec<Rect> {
    let empty = Rect {
        w: 0.0,
        h: 0.0,
        ..area
    };
    let mut tiles = vec![empty; weights.len()];
    let total: u64 = weights.iter().sum();
    if total == 0 || area.area() <= 0.0 {
        return tiles;
    }
    // Largest first: that is what keeps the rows square.
    let mut order: Vec<usize> = (0..weights.len()).filter(|&i| weights[i] > 0).collect();
    order.sort_by(|&a, &b| weights[b].cmp(&weights[a]).then(a.cmp(&b)));
    let scale = area.area() / total as f64;
    let areas: Vec<f64> = order.iter().map(|&i| weights[i] as f64 * scale).collect();

    let mut free = area;
    let mut start = 0;
    while start < order.len() {
        let short = free.w.min(free.h);
        let mut end = start + 1;
        let mut row_area = areas[start];
        let mut worst_so_far = worst(&areas[start..end], row_area, short);
        while end < order.len() {
            let wider = row_area + areas[end];
            let worst_wider = worst(&areas[start..=end], wider, short);
            if worst_wider > worst_so_far {
                break;
            }
            worst_so_far = worst_wider;
            row_area = wider;
            end += 1;
        }
        // The row runs along the short side, `thickness` deep.
        let thickness = if short > 0.0 { row_area / short } else { 0.0 };
        let mut along = 0.0;
        for (k, &index) in order.iter().enumerate().take(end).skip(start) {
            let length = if thickness > 0.0 {
                areas[k] / thickness
            } else {
                0.0
            };
            tiles[index] = if free.w >= free.h {
                Rect {
                    x: free.x,
                    y: free.y + along,
                    w: thickness,
                    h: length,
                }
            } else {
                Rect {
                    x: free.x + along,
                    y: free.y,
                    w: length,
                    h: thickness,
                }
            };
            along += length;
        }
        if free.w >= free.h {
            free.x += thickness;
            free.w = (free.w - thickness).max(0.0);
        } else {
            free.y += thickness;
            free.h = (free.h - thickness).max(0.0);
        }
        start = end;
    }
    tiles
}

/// The worst aspect ratio in a row of `areas` (adding up to `sum`) laid along a side of `side`.
fn worst(areas: &[f64], sum: f64, side: f64) -> f64 {
    let (sum2, side2) = (sum * sum, side * side);
    areas
        .iter()
        .map(|&a| (side2 * a / sum2).max(sum2 / (side2 * a)))
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    const AREA: Rect = Rect {
        x: 10.0,
        y: 20.0,
        w: 600.0,
        h: 400.0,
    };

    fn overlap(a: &Rect, b: &Rect) -> f64 {
        let w = (a.x + a.w).min(b.x + b.w) - a.x.max(b.x);
        let h = (a.y + a.h).min(b.y + b.h) - a.y.max(b.y);
        w.max(0.0) * h.max(0.0)
    }

    #[test]
    fn tiles_fill_the_area_in_proportion_without_overlapping() {
        let weights = [
            6_000, 6_000, 4_000, 3_000, 2_000, 2_000, 1_000, 17, 0, 90_000,
        ];
        let tiles = squarify(&weights, AREA);
        let total: u64 = weights.iter().sum();
        let eps = 1e-6;
        for (weight, tile) in weights.iter().zip(&tiles) {
            let expected = AREA.area() * *weight as f64 / total as f64;
            assert!(
                (tile.area() - expected).abs() < eps,
                "{tile:?} for {weight}"
            );
            assert!(tile.x >= AREA.x - eps && tile.y >= AREA.y - eps, "{tile:?}");
            assert!(tile.x + tile.w <= AREA.x + AREA.w + eps, "{tile:?}");
            assert!(tile.y + tile.h <= AREA.y + AREA.h + eps, "{tile:?}");
        }
        for (i, a) in tiles.iter().enumerate() {
            for b in &tiles[i + 1..] {
                assert!(overlap(a, b) < eps, "{a:?} overlaps {b:?}");
            }
        }
        let covered: f64 = tiles.iter().map(Rect::area).sum();
        assert!((covered - AREA.area()).abs() < 1e-3);
    }

    #[test]
    fn equal_weights_in_a_square_are_squares() {
        let square = Rect {
            x: 0.0,
            y: 0.0,
            w: 100.0,
            h: 100.0,
        };
        for tile in squarify(&[1, 1, 1, 1], square) {
            assert!((tile.w - 50.0).abs() < 1e-9 && (tile.h - 50.0).abs() < 1e-9);
        }
    }

    #[test]
    fn nothing_to_draw_gives_empty_tiles() {
        assert!(squarify(&[0, 0], AREA).iter().all(|t| t.area() == 0.0));
        assert!(squarify(&[], AREA).is_empty());
    }
}
