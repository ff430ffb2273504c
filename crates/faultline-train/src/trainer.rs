//! The training loop: normalise, shuffle, mini-batch Adam, export, measure.

use std::time::Instant;

use burn::optim::{AdamConfig, GradientsParams};
use burn::tensor::{Device, Tensor, TensorData, activation};
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

use crate::network::Network;
use crate::{Dataset, TrainError};
use faultline_model::{Activation, Mlp, ModelMetadata};

/// How to train.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainConfig {
    /// Hidden layer widths; the paper's network has one layer of 3.
    pub hidden: Vec<usize>,
    /// Activation of the hidden layers.
    pub activation: Activation,
    /// Activation of the outputs. `sigmoid` (the paper's) trains with binary cross-entropy
    /// against one-hot targets; any other trains with softmax cross-entropy on the logits.
    pub output_activation: Activation,
    /// Passes over the training data.
    pub epochs: usize,
    /// Samples per Adam step.
    pub batch_size: usize,
    /// Adam's learning rate.
    pub learning_rate: f64,
    /// Fixes the initial weights and the shuffling: the same seed gives the same model.
    pub seed: u64,
    /// Keep the weights at epoch 0, every this many epochs and at the end.
    pub snapshot_every: Option<usize>,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            hidden: vec![3],
            activation: Activation::Sigmoid,
            output_activation: Activation::Sigmoid,
            epochs: 200,
            batch_size: 32,
            learning_rate: 0.02,
            seed: 0,
            snapshot_every: None,
        }
    }
}

impl TrainConfig {
    /// Checks the settings before any work is done.
    pub fn validate(&self) -> Result<(), TrainError> {
        let bad = |m: &str| Err(TrainError::Config(m.into()));
        if self.epochs == 0 {
            return bad("--epochs must be at least 1");
        }
        if self.hidden.is_empty() {
            return bad("--hidden must list at least one layer width, e.g. 3 or 16,16");
        }
        if self.hidden.contains(&0) {
            return bad("--hidden widths must be at least 1");
        }
        if self.snapshot_every == Some(0) {
            return bad("--snapshot-every must be at least 1");
        }
        // The limits a model file has, checked before any epoch runs.
        if let Some(w) = self
            .hidden
            .iter()
            .find(|&&w| w > faultline_model::mlp::MAX_WIDTH)
        {
            return Err(TrainError::Config(format!(
                "--hidden {w}: a layer may be at most {} wide",
                faultline_model::mlp::MAX_WIDTH
            )));
        }
        if self.hidden.len() + 1 > faultline_model::mlp::MAX_LAYERS {
            return Err(TrainError::Config(format!(
                "--hidden lists {} layers; a model has at most {} (the output layer included)",
                self.hidden.len(),
                faultline_model::mlp::MAX_LAYERS
            )));
        }
        if self.batch_size == 0 {
            return bad("--batch-size must be at least 1");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return bad("--lr must be a positive number");
        }
        if self.activation == Activation::Softmax {
            return bad("softmax is allowed on the output layer only, not as --activation");
        }
        Ok(())
    }
}

/// What training produced, measured on the exported model (raw inputs, f64).
#[derive(Debug, Clone)]
pub struct TrainReport {
    /// The exported model, with metadata and the training record.
    pub model: Mlp,
    /// Accuracy on the training samples.
    pub train_accuracy: f64,
    /// Accuracy on each named held-out set, in the order given to [`train`].
    pub test_accuracies: Vec<(String, f64)>,
    /// The mean loss of the last epoch.
    pub final_loss: f64,
    /// Wall time of the training loop.
    pub seconds: f64,
}

/// The figures of one snapshot (`snapshots` metadata).
fn snapshot_record(
    epoch: usize,
    loss: f64,
    plain: &Mlp,
    train_set: &Dataset,
    tests: &[(&str, &Dataset)],
) -> serde_json::Value {
    let mut r = serde_json::Map::new();
    r.insert("epoch".into(), json!(epoch));
    r.insert("loss".into(), json!(round6(loss)));
    r.insert(
        "train_accuracy".into(),
        json!(round6(accuracy(plain, train_set))),
    );
    if let Some((_, set)) = tests.first() {
        r.insert("test_accuracy".into(), json!(round6(accuracy(plain, set))));
    }
    serde_json::Value::Object(r)
}

/// Trains a network on `train_set`, measures it on each named held-out set in `tests`
/// (recorded as `{name}_accuracy`) and returns the exported model. `extra_record` is merged into the model's `training` record (data set settings).
/// `on_epoch(epoch, mean_loss)` is called after each epoch (for progress display).
pub fn train(
    train_set: &Dataset,
    tests: &[(&str, &Dataset)],
    config: &TrainConfig,
    extra_record: serde_json::Map<String, serde_json::Value>,
    mut on_epoch: impl FnMut(usize, f64),
) -> Result<TrainReport, TrainError> {
    config.validate()?;
    if train_set.is_empty() {
        return Err(TrainError::Data("the training set is empty".into()));
    }
    let started = Instant::now();
    #[allow(deprecated)] // burn-ndarray is the backend measured on these machines
    let device = Device::ndarray().autodiff();
    let inputs = train_set.inputs.len();
    let classes = train_set.classes.len();
    let (mean, scale) = normalisation(train_set);

    let mut widths = vec![inputs];
    widths.extend(&config.hidden);
    widths.push(classes);
    let parameters: usize = widths.windows(2).map(|w| w[0] * w[1] + w[1]).sum();
    if parameters > faultline_model::mlp::MAX_PARAMETERS {
        return Err(TrainError::Config(format!(
            "--hidden {}: the network would have {parameters} parameters, more than the {} a model file may hold",
            config
                .hidden
                .iter()
                .map(usize::to_string)
                .collect::<Vec<_>>()
                .join(","),
            faultline_model::mlp::MAX_PARAMETERS
        )));
    }
    if let Some(w) = [inputs, classes]
        .into_iter()
        .find(|&w| w > faultline_model::mlp::MAX_WIDTH)
    {
        return Err(TrainError::Data(format!(
            "the data has {w} features or classes; a layer may be at most {} wide",
            faultline_model::mlp::MAX_WIDTH
        )));
    }
    let mut activations = vec![config.activation; config.hidden.len()];
    activations.push(config.output_activation);

    let mut rng = ChaCha8Rng::seed_from_u64(config.seed);
    let mut network = Network::init(&widths, activations, &mut rng, &device);
    let mut optimizer = AdamConfig::new().init();
    let mut order: Vec<usize> = (0..train_set.len()).collect();
    let mut final_loss = f64::NAN;
    let mut snapshots: Vec<(usize, Vec<faultline_model::Layer>)> = Vec::new();
    let mut records = Vec::new();
    let mut snapshot = |epoch: usize, loss: f64, network: &Network| -> Result<(), TrainError> {
        let layers = network.export_layers(&mean, &scale);
        let plain = Mlp::new(layers.clone(), ModelMetadata::default())?;
        records.push(snapshot_record(epoch, loss, &plain, train_set, tests));
        snapshots.push((epoch, layers));
        Ok(())
    };
    if config.snapshot_every.is_some() {
        // The loss before any step, over the whole training set in the same batches.
        let mut sum = 0.0;
        let mut batches = 0;
        for batch in order.chunks(config.batch_size) {
            let (x, y) = batch_tensors(train_set, batch, &mean, &scale, &device);
            let logits = Network::logits(&network.layers, &network.activations, x);
            sum += f64::from(loss(logits, y, config.output_activation).into_scalar::<f32>());
            batches += 1;
        }
        snapshot(0, sum / batches.max(1) as f64, &network)?;
    }

    for epoch in 0..config.epochs {
        order.shuffle(&mut rng);
        let mut loss_sum = 0.0;
        let mut batches = 0;
        for batch in order.chunks(config.batch_size) {
            let (x, y) = batch_tensors(train_set, batch, &mean, &scale, &device);
            let logits = Network::logits(&network.layers, &network.activations, x);
            let loss = loss(logits, y, config.output_activation);
            loss_sum += f64::from(loss.clone().into_scalar::<f32>());
            batches += 1;
            let grads = GradientsParams::from_grads(loss.backward(), &network.layers);
            network.layers = optimizer.step(config.learning_rate, network.layers, grads);
        }
        final_loss = loss_sum / batches as f64;
        if !final_loss.is_finite() {
            return Err(TrainError::Config(format!(
                "training diverged at epoch {} (loss is {final_loss}); try a smaller --lr",
                epoch + 1
            )));
        }
        on_epoch(epoch + 1, final_loss);
        if let Some(k) = config.snapshot_every
            && ((epoch + 1).is_multiple_of(k) || epoch + 1 == config.epochs)
        {
            snapshot(epoch + 1, final_loss, &network)?;
        }
    }
    let seconds = started.elapsed().as_secs_f64();

    let layers = network.export_layers(&mean, &scale);
    let plain = Mlp::new(layers.clone(), ModelMetadata::default())?;
    let train_accuracy = accuracy(&plain, train_set);
    let test_accuracies: Vec<(String, f64)> = tests
        .iter()
        .map(|(name, set)| (name.to_string(), accuracy(&plain, set)))
        .collect();

    let mut record = serde_json::Map::new();
    record.insert("dataset".into(), json!(train_set.name));
    record.extend(extra_record);
    record.insert("seed".into(), json!(config.seed));
    record.insert("epochs".into(), json!(config.epochs));
    record.insert("batch_size".into(), json!(config.batch_size));
    record.insert("learning_rate".into(), json!(config.learning_rate));
    record.insert("optimizer".into(), json!("adam"));
    record.insert("train_samples".into(), json!(train_set.len()));
    for (name, set) in tests {
        record.insert(format!("{name}_samples"), json!(set.len()));
    }
    record.insert("final_loss".into(), json!(round6(final_loss)));
    record.insert("train_accuracy".into(), json!(round6(train_accuracy)));
    for (name, acc) in &test_accuracies {
        record.insert(format!("{name}_accuracy"), json!(round6(*acc)));
    }
    let mut extra = std::collections::BTreeMap::new();
    if !records.is_empty() {
        extra.insert(
            "snapshots".to_string(),
            serde_json::Value::Array(records).to_string(),
        );
    }
    let metadata = ModelMetadata {
        reference: None,
        input_ranges: None,
        domain: train_set.domain,
        classes: Some(train_set.classes.clone()),
        inputs: Some(train_set.inputs.clone()),
        training: Some(serde_json::Value::Object(record).to_string()),
        extra,
    };
    let mut model = Mlp::new(layers, metadata)?;
    model.snapshots = snapshots;
    Ok(TrainReport {
        model,
        train_accuracy,
        test_accuracies,
        final_loss,
        seconds,
    })
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// Per-feature mean and standard deviation of the training data (scale 1 where constant).
fn normalisation(data: &Dataset) -> (Vec<f32>, Vec<f32>) {
    let d = data.inputs.len();
    let n = data.len() as f64;
    let mut mean = vec![0.0f64; d];
    let mut var = vec![0.0f64; d];
    for i in 0..data.len() {
        for (m, &v) in mean.iter_mut().zip(data.sample(i)) {
            *m += f64::from(v) / n;
        }
    }
    for i in 0..data.len() {
        for ((s, m), &v) in var.iter_mut().zip(&mean).zip(data.sample(i)) {
            *s += (f64::from(v) - m).powi(2) / n;
        }
    }
    let scale = var
        .iter()
        .map(|&v| if v > 1e-12 { v.sqrt() as f32 } else { 1.0 })
        .collect();
    (mean.iter().map(|&m| m as f32).collect(), scale)
}

/// Normalised features `[batch, inputs]` and one-hot targets `[batch, classes]`.
fn batch_tensors(
    data: &Dataset,
    batch: &[usize],
    mean: &[f32],
    scale: &[f32],
    device: &Device,
) -> (Tensor<2>, Tensor<2>) {
    let d = data.inputs.len();
    let c = data.classes.len();
    let mut x = Vec::with_capacity(batch.len() * d);
    let mut y = vec![0.0f32; batch.len() * c];
    for (row, &i) in batch.iter().enumerate() {
        x.extend(
            data.sample(i)
                .iter()
                .zip(mean.iter().zip(scale))
                .map(|(&v, (&m, &s))| (v - m) / s),
        );
        y[row * c + data.labels[i]] = 1.0;
    }
    (
        Tensor::from_data(TensorData::new(x, [batch.len(), d]), device),
        Tensor::from_data(TensorData::new(y, [batch.len(), c]), device),
    )
}

/// Binary cross-entropy on sigmoid outputs, softmax cross-entropy otherwise; both from
/// logits in their numerically stable forms.
fn loss(logits: Tensor<2>, target: Tensor<2>, output: Activation) -> Tensor<1> {
    if output == Activation::Sigmoid {
        // max(x, 0) - x y + log(1 + e^-|x|)
        let l = logits.clone().clamp_min(0.0) - logits.clone() * target
            + logits.abs().neg().exp().add_scalar(1.0).log();
        l.mean()
    } else {
        let batch = logits.dims()[0] as f64;
        (activation::log_softmax(logits, 1) * target)
            .sum()
            .neg()
            .div_scalar(batch)
    }
}

/// The fraction of samples whose argmax (lowest index on ties) is their label.
pub fn accuracy(model: &Mlp, data: &Dataset) -> f64 {
    if data.is_empty() {
        return f64::NAN;
    }
    let correct = (0..data.len())
        .filter(|&i| {
            let x: Vec<f64> = data.sample(i).iter().map(|&v| f64::from(v)).collect();
            let z = model.forward_f64(&x);
            let z32: Vec<f32> = z.iter().map(|&v| v as f32).collect();
            faultline_model::arrays::argmax(&z32) as usize == data.labels[i]
        })
        .count();
    correct as f64 / data.len() as f64
}
