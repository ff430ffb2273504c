//! Training playback: where the viewer is in a model's snapshots, how fast it moves, and
//! the network there (weights interpolated linearly between snapshots).

use faultline_model::metadata::SnapshotRecord;
use faultline_model::{Mlp, ModelError};

/// How long playing the whole training takes at the default speed, in seconds.
const DEFAULT_SECONDS: f64 = 10.0;

/// The snapshots of a model and the viewer's position among them.
#[derive(Debug, Clone)]
pub struct Playback {
    /// The model with its snapshots (the final weights as its layers).
    model: Mlp,
    /// The snapshots' figures (loss, accuracies), where the metadata has them.
    records: Vec<SnapshotRecord>,
    /// The epoch shown: a snapshot's, or between two.
    pub epoch: f64,
    /// Whether the epoch moves on each frame.
    pub playing: bool,
    /// Epochs per second while playing.
    pub speed: f64,
}

impl Playback {
    /// Playback of `model`'s snapshots, starting at `epoch` (default: the last), or `None`
    /// for a model without snapshots.
    pub fn new(model: Mlp, epoch: Option<usize>) -> Option<Playback> {
        let last = model.snapshots.last()?.0;
        let first = model.snapshots[0].0;
        Some(Playback {
            records: model.metadata.snapshot_records(),
            epoch: epoch.unwrap_or(last) as f64,
            playing: false,
            speed: ((last - first) as f64 / DEFAULT_SECONDS).max(1.0),
            model,
        })
    }

    /// The first and last snapshot's epochs.
    pub fn range(&self) -> [f64; 2] {
        let s = &self.model.snapshots;
        [s[0].0 as f64, s[s.len() - 1].0 as f64]
    }

    /// The snapshots' epochs.
    pub fn epochs(&self) -> impl DoubleEndedIterator<Item = usize> + '_ {
        self.model.snapshots.iter().map(|(e, _)| *e)
    }

    /// Moves the epoch on by `seconds` of playing; at the last snapshot playing stops.
    /// Whether the epoch moved.
    pub fn advance(&mut self, seconds: f64) -> bool {
        if !self.playing {
            return false;
        }
        let [_, last] = self.range();
        self.epoch = (self.epoch + self.speed * seconds).min(last);
        if self.epoch >= last {
            self.playing = false;
        }
        true
    }

    /// Starts or stops playing; starting at the end starts again from the first snapshot.
    pub fn toggle(&mut self) {
        let [first, last] = self.range();
        if !self.playing && self.epoch >= last {
            self.epoch = first;
        }
        self.playing = !self.playing;
    }

    /// Goes to the next snapshot (`forward`) or the previous one, and stops playing.
    pub fn step(&mut self, forward: bool) {
        self.playing = false;
        let here = self.epoch;
        let next = if forward {
            self.epochs().map(|e| e as f64).find(|&e| e > here + 1e-9)
        } else {
            self.epochs().map(|e| e as f64).rfind(|&e| e < here - 1e-9)
        };
        if let Some(e) = next {
            self.epoch = e;
        }
    }

    /// The snapshots either side of the epoch shown (the same one twice at a snapshot).
    pub fn bracket(&self) -> (usize, usize) {
        let epochs: Vec<usize> = self.epochs().collect();
        let at = |e: usize| (e as f64 - self.epoch).abs() < 1e-9;
        if let Some(&e) = epochs.iter().find(|&&e| at(e)) {
            return (e, e);
        }
        let after = epochs
            .iter()
            .position(|&e| e as f64 > self.epoch)
            .unwrap_or(epochs.len() - 1);
        (epochs[after.saturating_sub(1)], epochs[after])
    }

    /// The figures of the snapshot at or before the epoch shown.
    pub fn record(&self) -> SnapshotRecord {
        let (before, _) = self.bracket();
        self.records
            .iter()
            .find(|r| r.epoch == before)
            .copied()
            .unwrap_or(SnapshotRecord {
                epoch: before,
                ..Default::default()
            })
    }

    /// The network at the epoch shown ([`Mlp::between_snapshots`]).
    pub fn network(&self) -> Result<Mlp, ModelError> {
        self.model.between_snapshots(self.epoch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use faultline_model::{Activation, Layer, ModelMetadata};

    fn model() -> Mlp {
        let layer = |w: f32| Layer {
            inputs: 2,
            outputs: 1,
            weight: vec![w, 1.0],
            bias: vec![0.0],
            activation: Activation::Identity,
        };
        let mut m = Mlp::new(vec![layer(3.0)], ModelMetadata::default()).unwrap();
        m.snapshots = vec![
            (0, vec![layer(1.0)]),
            (10, vec![layer(2.0)]),
            (20, vec![layer(3.0)]),
        ];
        m
    }

    #[test]
    fn playing_moves_through_the_snapshots_and_stops_at_the_last() {
        let mut p = Playback::new(model(), Some(0)).unwrap();
        assert_eq!(p.range(), [0.0, 20.0]);
        assert!(!p.advance(1.0), "paused: nothing moves");
        p.toggle();
        p.speed = 4.0;
        assert!(p.advance(1.0));
        assert_eq!(p.epoch, 4.0);
        assert_eq!(p.bracket(), (0, 10));
        assert_eq!(p.network().unwrap().layers()[0].weight[0], 1.4);
        p.advance(10.0);
        assert_eq!(p.epoch, 20.0);
        assert!(!p.playing, "stopped at the end");
        p.toggle();
        assert_eq!(p.epoch, 0.0, "playing again starts from the first");
    }

    #[test]
    fn steps_go_to_the_neighbouring_snapshots() {
        let mut p = Playback::new(model(), None).unwrap();
        assert_eq!(p.epoch, 20.0);
        p.step(true);
        assert_eq!(p.epoch, 20.0, "no snapshot after the last");
        p.epoch = 12.5;
        p.step(false);
        assert_eq!(p.epoch, 10.0);
        assert_eq!(p.bracket(), (10, 10));
        p.step(false);
        p.step(true);
        assert_eq!(p.epoch, 10.0);
        assert_eq!(p.record().epoch, 10);
    }
}
