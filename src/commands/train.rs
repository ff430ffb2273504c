//! `faultline train`: data set -> burn training -> model file.

use std::path::Path;

use anyhow::{Result, bail};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::json;

use crate::cli::TrainArgs;
use crate::output::prepare_one;
use faultline_model::Activation;
use faultline_train::{Dataset, PaperSet, TrainConfig, csv_data};

/// Fresh test samples at least this far (pixels) from a class boundary count as "clear".
const CLEAR_DISTANCE: f64 = 5.0;

pub fn run(args: TrainArgs) -> Result<()> {
    let config = TrainConfig {
        hidden: args.hidden.clone(),
        activation: parse_activation("--activation", &args.activation)?,
        output_activation: parse_activation("--output-activation", &args.output_activation)?,
        epochs: args.epochs,
        batch_size: args.batch_size,
        learning_rate: args.lr,
        seed: args.seed,
        snapshot_every: args.snapshot_every,
    };
    config.validate()?;
    let data = load_data(&args)?;
    let csv = args.dataset.strip_prefix("csv:").map(Path::new);
    let inputs: Vec<(&str, &Path)> = csv.map(|p| ("--dataset", p)).into_iter().collect();
    let output = prepare_one("-o", &args.output, &inputs)?;

    let bar = if args.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(config.epochs as u64)
    };
    bar.set_style(
        ProgressStyle::with_template("training {bar:30} epoch {pos}/{len}  loss {msg}  {elapsed}")
            .expect("valid template"),
    );
    let tests: Vec<(&str, &Dataset)> = data.tests.iter().map(|(n, d)| (n.as_str(), d)).collect();
    let mut report =
        faultline_train::train(&data.train, &tests, &config, data.record, |_, loss| {
            bar.set_message(format!("{loss:.4}"));
            bar.inc(1);
        })?;
    bar.finish_and_clear();
    if let Some((reference, ranges)) = data.placement {
        report.model.metadata.reference = Some(reference);
        report.model.metadata.input_ranges = Some(ranges);
    }

    faultline_model::io::save_into(&report.model, output)?;
    let tests: Vec<String> = report
        .test_accuracies
        .iter()
        .map(|(name, acc)| format!("{name} {:.2} %", acc * 100.0))
        .collect();
    say!(
        "trained {} on {} in {:.1} s: loss {:.4}, accuracy train {:.2} %, {}",
        report.model.architecture(),
        data.train.name,
        report.seconds,
        report.final_loss,
        report.train_accuracy * 100.0,
        tests.join(", ")
    );
    say!("wrote {}", args.output.display());
    Ok(())
}

fn parse_activation(flag: &str, s: &str) -> Result<Activation> {
    s.parse::<Activation>().map_err(|e| {
        anyhow::anyhow!(
            "{flag}: {}",
            e.to_string().trim_start_matches("invalid metadata: ")
        )
    })
}

/// The training set, the named test sets and the data set part of the training record.
struct Data {
    /// A data file's mean and ranges over all its rows (for slices of a wider model).
    placement: Option<(Vec<f64>, Vec<[f64; 2]>)>,
    train: Dataset,
    tests: Vec<(String, Dataset)>,
    record: serde_json::Map<String, serde_json::Value>,
}

fn load_data(args: &TrainArgs) -> Result<Data> {
    let mut record = serde_json::Map::new();
    if let Some(path) = args.dataset.strip_prefix("csv:") {
        let all = csv_data::read_csv(Path::new(path), args.label.as_deref())
            .map_err(|e| anyhow::anyhow!("--dataset {e}"))?;
        let (train, test) = split(&all, args.seed);
        return Ok(Data {
            placement: Some((all.mean(), all.ranges())),
            train,
            tests: vec![("test".into(), test)],
            record,
        });
    }
    let Some(set) = PaperSet::parse(&args.dataset) else {
        bail!(
            "--dataset '{}': expected s1, s2, s3 or csv:PATH",
            args.dataset
        );
    };
    if args.samples < 3 {
        bail!("--samples must be at least 3");
    }
    let train = set.generate(args.samples, args.margin, args.seed)?;
    // A fresh test set from another seed stream.
    let test = set.generate(
        args.samples / 2,
        args.margin,
        faultline_train::test_seed(args.seed),
    )?;
    let clear: Vec<usize> = (0..test.len())
        .filter(|&i| {
            let s = test.sample(i);
            set.boundary_distance(f64::from(s[0]), f64::from(s[1]), args.margin) >= CLEAR_DISTANCE
        })
        .collect();
    // Judged against the noise-free rule: for S3 this shows whether the network learned
    // the majority class under the label noise.
    let mut clear = test.subset(&clear);
    for i in 0..clear.len() {
        let x = clear.sample(i);
        clear.labels[i] = set.label(f64::from(x[0]), f64::from(x[1]), args.margin);
    }
    record.insert("margin".into(), json!(args.margin));
    record.insert("clear_distance".into(), json!(CLEAR_DISTANCE));
    Ok(Data {
        placement: None,
        train,
        tests: vec![("test".into(), test), ("clear".into(), clear)],
        record,
    })
}

/// A seeded 80/20 split.
fn split(data: &Dataset, seed: u64) -> (Dataset, Dataset) {
    use rand::SeedableRng;
    use rand::seq::SliceRandom;
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.shuffle(&mut rand_chacha::ChaCha8Rng::seed_from_u64(seed));
    let cut = (data.len() * 4 / 5).max(1);
    (data.subset(&order[..cut]), data.subset(&order[cut..]))
}
