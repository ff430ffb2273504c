//! The command line, as the README's "Command line" section documents it (a contract: users script it).

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

mod values;

use values::epoch;

/// See what a neural-network classifier has learned: its output surfaces over the input
/// plane and the fault lines where they cross.
#[derive(Debug, Parser)]
#[command(name = "faultline", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Activations of a model file that names none (a PyTorch state dict), one per
    /// linear layer: e.g. relu,relu,softmax. Names as PyTorch, scikit-learn and Keras
    /// spell them are accepted.
    #[arg(long, global = true, value_name = "LIST")]
    pub activations: Option<String>,
    /// Use the weights of this training epoch (a model trained with --snapshot-every;
    /// `inspect` lists its epochs).
    #[arg(long, global = true, value_name = "E", allow_hyphen_values = true, value_parser = epoch)]
    pub epoch: Option<usize>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train an MLP with burn and write it as a model file (.safetensors).
    Train(TrainArgs),
    /// Print a model file's architecture, activations, domain, classes and training record.
    Inspect(InspectArgs),
    /// Evaluate a model on a W x H grid and write the field / classes / pairs / decision
    /// arrays as .npy.
    Eval(EvalArgs),
    /// Draw the 2-D boundary map of a model as a PNG: classes, decision boundaries,
    /// junctions and (optionally) the other pairwise crossings.
    Map(MapArgs),
    /// Write the generated WGSL compute shader of a model.
    Export(ExportArgs),
    /// Measure grid evaluation speed on each backend.
    Bench(BenchArgs),
    /// Render the lit 3-D landscape offscreen to a PNG (no display needed).
    Render(RenderArgs),
    /// Open the landscape in a window and fly through it.
    View(ViewArgs),
    /// Train the paper's network on S1 (or `demo iris`: a 4-input net on Fisher's iris,
    /// on a slice) and show it (PNGs when there is no display).
    Demo(DemoArgs),
    /// Measure what the network learned on a grid: class areas and dormant outputs,
    /// overlapping sigmoid outputs, dead neurons, linear pieces, region fragments,
    /// boundary lengths and junctions (a table, or JSON with --json).
    Analyze(AnalyzeArgs),
    /// Draw a contact sheet: one small map per hidden neuron and output, layer by layer,
    /// titled with its active share, dead and dormant ones marked.
    Neurons(NeuronsArgs),
    /// Write any model file Faultline reads (a PyTorch state dict, ...) in its own
    /// format, with metadata, so it is converted once.
    Convert(ConvertArgs),
}

/// `faultline analyze`.
#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// The model file.
    pub model: PathBuf,
    /// Grid size: N (square) or WxH.
    #[arg(long, default_value = "512", allow_hyphen_values = true)]
    pub size: String,
    /// x0,x1,y0,y1, or s0,s1,t0,t1 on a plane (default: the model's domain, or the plane's).
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The plane through input space (models with more than 2 inputs).
    #[command(flatten)]
    pub plane: PlaneArgs,
}

/// `faultline neurons`.
#[derive(Debug, Args)]
pub struct NeuronsArgs {
    /// The model file.
    pub model: PathBuf,
    /// Where to write the PNG.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Samples (and pixels) per side of each tile.
    #[arg(long, default_value_t = 128)]
    pub size: usize,
    /// Tiles per row.
    #[arg(long, default_value_t = 8)]
    pub columns: usize,
    /// x0,x1,y0,y1, or s0,s1,t0,t1 on a plane (default: the model's domain, or the plane's).
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
    /// The plane through input space (models with more than 2 inputs).
    #[command(flatten)]
    pub plane: PlaneArgs,
}

/// `faultline convert`.
#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The model file to read.
    pub input: PathBuf,
    /// Where to write the .safetensors file.
    #[arg(short = 'o', long)]
    pub output: PathBuf,
    /// Class names, comma separated (one per output; two for a one-output model).
    #[arg(long)]
    pub classes: Option<String>,
    /// Input names, comma separated.
    #[arg(long)]
    pub inputs: Option<String>,
    /// The default view x0,x1,y0,y1.
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
}

/// `faultline train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// The data: `s1`, `s2`, `s3` (the paper's sets) or `csv:PATH`.
    #[arg(long)]
    pub dataset: String,
    /// Hidden layer widths, comma separated.
    #[arg(long, default_value = "3", value_delimiter = ',')]
    pub hidden: Vec<usize>,
    /// Activation of the hidden layers: identity, sigmoid, tanh, relu, leaky_relu.
    #[arg(long, default_value = "sigmoid")]
    pub activation: String,
    /// Activation of the output layer (sigmoid trains with binary cross-entropy, anything
    /// else with softmax cross-entropy on the logits).
    #[arg(long, default_value = "sigmoid")]
    pub output_activation: String,
    /// Passes over the training data.
    #[arg(long, default_value_t = 200)]
    pub epochs: usize,
    /// Seed for the data, the initial weights and the shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// S1-S3: the half-width n of the grey band, 255 - n <= x1 + x2 <= 255 + n.
    #[arg(long, default_value_t = faultline_train::DEFAULT_MARGIN, allow_negative_numbers = true)]
    pub margin: f64,
    /// S1-S3: number of training samples (a fresh set of half this size is the test set).
    #[arg(long, default_value_t = 4000)]
    pub samples: usize,
    /// CSV: the label column (default: the last column).
    #[arg(long)]
    pub label: Option<String>,
    /// Samples per Adam step.
    #[arg(long, default_value_t = 32)]
    pub batch_size: usize,
    /// Adam's learning rate.
    #[arg(long, default_value_t = 0.02)]
    pub lr: f64,
    /// Where to write the model.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Do not show the progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// Also keep the weights at epoch 0, every K epochs and at the end in the model file
    /// (tensors `snapshots.{epoch}.layers.{k}.*`, metadata `snapshots`).
    #[arg(long, value_name = "K")]
    pub snapshot_every: Option<usize>,
}

/// `faultline inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// The model file.
    pub model: PathBuf,
}

/// Where a grid is evaluated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Backend {
    /// A hardware GPU if there is one; else the native CPU path (faster than a software
    /// adapter such as lavapipe; FAULTLINE_REQUIRE_GPU=1 takes the adapter anyway)
    Auto,
    /// The generated compute shader on the GPU (lavapipe counts); an error without one
    Gpu,
    /// The native CPU evaluator on all cores
    Cpu,
}

/// The plane through a wider model's input space that a grid shows (eval, map, render,
/// view). A grid point (s, t) is the input origin + s·u + t·v.
#[derive(Debug, Clone, Default, PartialEq, Args)]
pub struct PlaneArgs {
    /// Inputs A and B (names or 0-based indices) as the grid's x and y; the others fixed
    /// (default for a model with more than 2 inputs: its first two).
    #[arg(long, value_name = "A,B")]
    pub axes: Option<String>,
    /// The fixed inputs of an axis slice, NAME=VALUE,... (names or indices; default: the
    /// model's reference point, else 0).
    #[arg(long, value_name = "NAME=VALUE,...", allow_hyphen_values = true)]
    pub at: Option<String>,
    /// The plane through rows I, J, K (0-based) of a CSV file: DATA.csv:I,J,K.
    #[arg(long, value_name = "DATA:I,J,K")]
    pub through: Option<String>,
    /// The plane through a CSV file's mean along its first two principal components.
    #[arg(long, value_name = "DATA")]
    pub pca: Option<PathBuf>,
    /// A plane file: {"origin": [...], "u": [...], "v": [...]}, optional "domain".
    #[arg(long, value_name = "FILE.json")]
    pub plane: Option<PathBuf>,
    /// Write the plane used (origin, u, v, domain, inputs, how) as JSON.
    #[arg(long, value_name = "FILE.json")]
    pub plane_out: Option<PathBuf>,
}

/// `faultline eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The model file.
    pub model: PathBuf,
    /// Grid size: N (square) or WxH.
    #[arg(long, allow_hyphen_values = true)]
    pub size: String,
    /// x0,x1,y0,y1, or s0,s1,t0,t1 on a plane (default: the model's domain, or the plane's).
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
    /// Where to evaluate.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// Write the field, float32 [H, W, C].
    #[arg(long)]
    pub field: Option<PathBuf>,
    /// Write the classes, uint8 [H, W] (uint16 if C > 255).
    #[arg(long)]
    pub classes: Option<PathBuf>,
    /// Write the pairwise crossing bitmask [H, W].
    #[arg(long)]
    pub pairs: Option<PathBuf>,
    /// Write the decision boundary, uint8 [H, W].
    #[arg(long)]
    pub decision: Option<PathBuf>,
    /// The plane through input space (models with more than 2 inputs).
    #[command(flatten)]
    pub plane: PlaneArgs,
}

/// `faultline map`.
#[derive(Debug, Args)]
pub struct MapArgs {
    /// The model file.
    pub model: PathBuf,
    /// Image size in pixels, one grid sample per pixel: N (square) or WxH. `-o FIG.svg`
    /// writes a figure (axes, legend, vector boundaries) instead of a PNG.
    #[arg(long, allow_hyphen_values = true)]
    pub size: String,
    /// x0,x1,y0,y1, or s0,s1,t0,t1 on a plane (default: the model's domain, or the plane's).
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
    /// Also draw the pairwise crossings that don't change the winner, as lighter lines.
    #[arg(long)]
    pub crossings: bool,
    /// Where to evaluate.
    #[arg(long, value_enum, default_value_t = Backend::Auto)]
    pub backend: Backend,
    /// Where to write the PNG (or the SVG figure).
    #[arg(short, long, required_unless_present_any = ["animate", "zarr"])]
    pub output: Option<PathBuf>,
    /// Write the class map (uint8) and the flag word (uint32) per cell as sharded Zarr v3
    /// arrays in an OME-Zarr 0.5 image with a pyramid of mode-downsampled class maps.
    #[arg(long, value_name = "OUT.zarr", conflicts_with_all = ["output", "animate"])]
    pub zarr: Option<PathBuf>,
    /// With --zarr: compute only the I-th of N equal runs of shard rows (1-based), so
    /// parts can run on many machines at once; then one --pyramid run builds the levels.
    #[arg(long, value_name = "I/N", requires = "zarr")]
    pub part: Option<String>,
    /// With --zarr: build the pyramid's upper levels from a store every part has written.
    #[arg(long, requires = "zarr")]
    pub pyramid: bool,
    /// Do not show the progress bar.
    #[arg(long)]
    pub quiet: bool,
    /// A title above a figure (-o FIG.svg, or --figure -o FIG.png).
    #[arg(long)]
    pub title: Option<String>,
    /// Write the figure (axes, ticks, legend, vector lines: what -o FIG.svg draws) as a
    /// PNG at -o, drawn at --dpi.
    #[arg(long)]
    pub figure: bool,
    /// A figure's resolution: pixels per inch of the PNG (96: one per SVG pixel).
    #[arg(
        long,
        value_name = "D",
        default_value_t = 96.0,
        allow_negative_numbers = true
    )]
    pub dpi: f64,
    /// A figure's width in inches (its height in proportion): the SVG's size, and the
    /// PNG's at --dpi. Default: one SVG pixel per grid sample, 96 to the inch.
    #[arg(long, value_name = "W", allow_negative_numbers = true)]
    pub inches: Option<f64>,
    /// Write every training snapshot (train --snapshot-every) as a frame of an animation
    /// here, captioned with its epoch, loss and accuracies: .png (animated PNG), .gif, or
    /// .mp4 (through ffmpeg on PATH).
    #[arg(long, value_name = "OUT", conflicts_with = "output")]
    pub animate: Option<PathBuf>,
    /// Draw hidden neuron J of layer L instead (LAYER:NEURON, 0-based): where it is on
    /// (above its activation at 0, or 0.5 for a sigmoid) and its zero line.
    #[arg(long, value_name = "L:J")]
    pub neuron: Option<String>,
    /// The plane through input space (models with more than 2 inputs).
    #[command(flatten)]
    pub plane: PlaneArgs,
    /// Draw the samples of a CSV file (features as for --through; labels from its last
    /// other column): discs in their class colour, misclassified ones as rings.
    #[arg(long, value_name = "FILE.csv")]
    pub data: Option<PathBuf>,
    /// On a plane through a wider model, draw only the samples within this distance of it
    /// (input units; default: a tenth of the data's spread).
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub near: Option<f64>,
}

/// `faultline export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The model file.
    pub model: PathBuf,
    /// Where to write the shader.
    #[arg(long, required_unless_present = "gltf")]
    pub wgsl: Option<PathBuf>,
    /// Where to write the landscape as a glTF binary (.glb): one mesh per surface with
    /// vertex colours by class, the boundary lines as line primitives.
    #[arg(long, value_name = "OUT.glb", conflicts_with = "wgsl")]
    pub gltf: Option<PathBuf>,
    /// With --gltf: grid samples per side of each surface.
    #[arg(long, default_value_t = 128)]
    pub resolution: usize,
    /// With --gltf: the height of the z range, in floor half-widths.
    #[arg(long, default_value_t = 0.8)]
    pub height_scale: f32,
    /// With --gltf: x0,x1,y0,y1 (default: the model's domain).
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
}

/// `faultline bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// A model file (default: the paper's 2-3-3 sigmoid net and a 2-64-64-10 relu net).
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Grid side N (an N x N grid).
    #[arg(long, default_value = "2048", allow_hyphen_values = true)]
    pub size: String,
    /// Backends, comma separated: all, gpu, cpu, cpu-dense, cpu-reference, cpu-burn.
    #[arg(long, default_value = "all")]
    pub backend: String,
    /// Timed repeats per measurement (the median is reported), after one warm-up.
    #[arg(long, default_value_t = 5)]
    pub repeats: usize,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Also write the benchmarked networks as model files into this folder (for
    /// scripts/baseline.py).
    #[arg(long)]
    pub save_models: Option<PathBuf>,
}

/// The landscape options shared by `render` and `view`.
#[derive(Debug, Clone, Args)]
pub struct LandscapeArgs {
    /// Surfaces: all (every class, see-through), envelope (the winner), class:K, or
    /// neuron:L:J (hidden neuron J of layer L, 0-based, with its zero level).
    #[arg(long, default_value = "all")]
    pub mode: String,
    /// Grid samples per side of each surface.
    #[arg(long, default_value_t = 256)]
    pub resolution: usize,
    /// Height of the tallest output above the floor (the floor is 2 units wide).
    #[arg(long, default_value_t = 0.8)]
    pub height_scale: f32,
    /// Camera as YAW,PITCH (degrees around and above the landscape; framed to fit) or
    /// YAW,PITCH,DISTANCE (and the distance from the landscape's centre). Default: the
    /// framed overview.
    #[arg(long, allow_hyphen_values = true)]
    pub camera: Option<String>,
    /// x0,x1,y0,y1, or s0,s1,t0,t1 on a plane (default: the model's domain, or the plane's).
    #[arg(long, allow_hyphen_values = true)]
    pub domain: Option<String>,
    /// Do not draw the pairwise crossings that don't change the winner.
    #[arg(long)]
    pub no_crossings: bool,
    /// Do not label the axes (input names and ranges) or draw the class legend.
    #[arg(long)]
    pub no_labels: bool,
    /// Colours: dark (the screen) or light (print: white background, dark text).
    #[arg(long, default_value = "dark", value_parser = ["dark", "light"])]
    pub theme: String,
    /// Iso-lines on the surfaces at round z values, about N across the z range.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub contours: u32,
    /// The plane through input space (models with more than 2 inputs).
    #[command(flatten)]
    pub plane: PlaneArgs,
    /// Draw the samples of a CSV file on the surfaces (as for `map --data`).
    #[arg(long, value_name = "FILE.csv")]
    pub data: Option<PathBuf>,
    /// On a plane through a wider model, draw only the samples within this distance of it.
    #[arg(long, value_name = "D", allow_negative_numbers = true)]
    pub near: Option<f64>,
}

/// `faultline render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The model file.
    pub model: PathBuf,
    /// Image width in pixels.
    #[arg(long, default_value_t = 1280)]
    pub width: u32,
    /// Image height in pixels.
    #[arg(long, default_value_t = 720)]
    pub height: u32,
    /// Where to write the PNG.
    #[arg(short, long, required_unless_present = "animate")]
    pub output: Option<PathBuf>,
    /// Write every training snapshot (train --snapshot-every) as a frame of an animation
    /// here, captioned with its epoch, loss and accuracies: .png (animated PNG), .gif, or
    /// .mp4 (through ffmpeg on PATH).
    #[arg(long, value_name = "OUT", conflicts_with = "output")]
    pub animate: Option<PathBuf>,
    /// What to draw and from where.
    #[command(flatten)]
    pub landscape: LandscapeArgs,
}

/// `faultline view`.
#[derive(Debug, Args)]
pub struct ViewArgs {
    /// The model file.
    pub model: PathBuf,
    /// Draw this many frames, then exit.
    #[arg(long)]
    pub frames: Option<u64>,
    /// Save the last frame here (with --frames), or where F12 saves.
    #[arg(long)]
    pub screenshot: Option<PathBuf>,
    /// With --frames, on a wider model: move the slice through its first slider's range,
    /// one step a frame, and report how long each move took to its picture.
    #[arg(long)]
    pub sweep_slice: bool,
    /// With --frames: zoom the domain 2x around the point X,Y on every frame and report
    /// how long each zoom took to its picture and the domain reached.
    #[arg(long, value_name = "X,Y", allow_hyphen_values = true)]
    pub sweep_zoom: Option<String>,
    /// Start playing the training snapshots (a model trained with --snapshot-every); with
    /// --frames, report the frame times while playing.
    #[arg(long)]
    pub play: bool,
    /// What to draw and from where.
    #[command(flatten)]
    pub landscape: LandscapeArgs,
}

/// `faultline demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Which demo: s1 (the paper's network, the default) or iris (a 4-input network on
    /// Fisher's iris, shown on a slice through its petal measurements).
    #[arg(default_value = "s1")]
    pub which: String,
    /// Where to put the trained model and images (default: a faultline-demo folder in the
    /// system's temporary directory).
    #[arg(long)]
    pub dir: Option<PathBuf>,
    /// With a display: draw this many frames, then exit.
    #[arg(long)]
    pub frames: Option<u64>,
}
