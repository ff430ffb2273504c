//! Writing frames as an animation, in the format the file name's extension names: an
//! animated PNG (`.png`), a GIF (`.gif`) or, through `ffmpeg` on PATH, an MP4 (`.mp4`).

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Result, bail};

/// Frames per second of every animation.
pub const FPS: u16 = 4;

/// An animation's file format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Format {
    /// An animated PNG: lossless, opened by browsers.
    Apng,
    /// A GIF: 256 colours a frame (exact where a frame has no more), opened everywhere.
    Gif,
    /// H.264 in MP4, encoded by the `ffmpeg` at this path.
    Mp4(PathBuf),
}

impl Format {
    /// The format `path` names by its extension; an MP4 needs `ffmpeg` on PATH (checked
    /// now, before any frame is drawn).
    pub fn of(path: &Path) -> Result<Format> {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("png" | "apng") => Ok(Format::Apng),
            Some("gif") => Ok(Format::Gif),
            Some("mp4") => match find_on_path("ffmpeg") {
                Some(ffmpeg) => Ok(Format::Mp4(ffmpeg)),
                None => bail!(
                    "--animate {}: an MP4 is encoded by ffmpeg, which is not on PATH; install it, or write a .gif or an animated .png",
                    path.display()
                ),
            },
            _ => bail!(
                "--animate {}: name the animation .png (animated PNG), .gif or .mp4 (through ffmpeg)",
                path.display()
            ),
        }
    }

    /// The format in words, for the report.
    pub fn describe(&self) -> &'static str {
        match self {
            Format::Apng => "an animated PNG",
            Format::Gif => "a GIF",
            Format::Mp4(_) => "an MP4 (ffmpeg)",
        }
    }
}

/// The first executable `name` in PATH's folders.
fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Writes RGB8 `frames` of `width x height` to `out` as `format`, [`FPS`] frames a
/// second, looping where the format loops.
pub fn write(
    format: &Format,
    out: &mut dyn Write,
    width: usize,
    height: usize,
    frames: &[Vec<u8>],
) -> std::io::Result<()> {
    match format {
        Format::Apng => write_apng(out, width, height, frames),
        Format::Gif => write_gif(out, width, height, frames),
        Format::Mp4(ffmpeg) => write_mp4(ffmpeg, out, width, height, frames),
    }
}

fn write_apng(
    out: &mut dyn Write,
    width: usize,
    height: usize,
    frames: &[Vec<u8>],
) -> std::io::Result<()> {
    let mut encoder = png::Encoder::new(out, width as u32, height as u32);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .set_animated(frames.len() as u32, 0)
        .and_then(|()| encoder.set_frame_delay(1, FPS))
        .map_err(std::io::Error::other)?;
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    for frame in frames {
        writer
            .write_image_data(frame)
            .map_err(std::io::Error::other)?;
    }
    writer.finish().map_err(std::io::Error::other)
}

fn write_gif(
    out: &mut dyn Write,
    width: usize,
    height: usize,
    frames: &[Vec<u8>],
) -> std::io::Result<()> {
    let (Ok(w), Ok(h)) = (u16::try_from(width), u16::try_from(height)) else {
        return Err(std::io::Error::other(
            "a GIF is at most 65535 pixels a side",
        ));
    };
    let mut encoder = gif::Encoder::new(out, w, h, &[]).map_err(std::io::Error::other)?;
    encoder
        .set_repeat(gif::Repeat::Infinite)
        .map_err(std::io::Error::other)?;
    for rgb in frames {
        // Exact where the frame has at most 256 colours (a map), NeuQuant otherwise.
        let mut frame = gif::Frame::from_rgb_speed(w, h, rgb, 10);
        frame.delay = 100 / FPS;
        encoder.write_frame(&frame).map_err(std::io::Error::other)?;
    }
    Ok(())
}

/// Pipes the frames through `ffmpeg` (raw RGB in, fragmented MP4 out, which needs no
/// seeking), copying its output into `out`.
fn write_mp4(
    ffmpeg: &Path,
    out: &mut dyn Write,
    width: usize,
    height: usize,
    frames: &[Vec<u8>],
) -> std::io::Result<()> {
    let size = format!("{width}x{height}");
    let fps = FPS.to_string();
    let mut child = Command::new(ffmpeg)
        .args(["-hide_banner", "-loglevel", "error", "-f", "rawvideo"])
        .args(["-pix_fmt", "rgb24", "-s", &size, "-framerate", &fps])
        .args(["-i", "pipe:0", "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2"])
        .args(["-c:v", "libx264", "-pix_fmt", "yuv420p"])
        .args([
            "-movflags",
            "frag_keyframe+empty_moov",
            "-f",
            "mp4",
            "pipe:1",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| std::io::Error::other(format!("cannot run {}: {e}", ffmpeg.display())))?;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut stdout = child.stdout.take().expect("stdout is piped");
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let copied = std::thread::scope(|scope| {
        let feeder = scope.spawn(move || -> std::io::Result<()> {
            for frame in frames {
                stdin.write_all(frame)?;
            }
            Ok(()) // dropping stdin ends ffmpeg's input
        });
        let messages = scope.spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let copied = std::io::copy(&mut stdout, out);
        let fed = feeder
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the frame writer stopped")));
        let messages = messages.join().unwrap_or_default();
        (copied.and(fed), messages)
    });
    let status = child.wait()?;
    let (result, messages) = copied;
    if !status.success() {
        let first = messages.lines().next().unwrap_or("no message");
        return Err(std::io::Error::other(format!(
            "ffmpeg failed ({status}): {first}"
        )));
    }
    result.map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_follow_the_extension() {
        assert_eq!(Format::of(Path::new("a.png")).unwrap(), Format::Apng);
        assert_eq!(Format::of(Path::new("a.GIF")).unwrap(), Format::Gif);
        let e = Format::of(Path::new("a.avi")).unwrap_err().to_string();
        assert!(e.contains(".png") && e.contains(".gif"), "{e}");
    }

    #[test]
    fn a_gif_holds_every_frame_exactly_when_colours_are_few() {
        let (w, h) = (7, 5);
        let frames: Vec<Vec<u8>> = (0..3u8)
            .map(|k| {
                (0..w * h)
                    .flat_map(|i| [k * 80, (i * 9) as u8, 200])
                    .collect()
            })
            .collect();
        let mut bytes = Vec::new();
        write(&Format::Gif, &mut bytes, w, h, &frames).unwrap();
        let mut options = gif::DecodeOptions::new();
        options.set_color_output(gif::ColorOutput::RGBA);
        let mut decoder = options.read_info(bytes.as_slice()).unwrap();
        let mut decoded = Vec::new();
        while let Some(frame) = decoder.read_next_frame().unwrap() {
            let rgb: Vec<u8> = frame
                .buffer
                .chunks(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect();
            decoded.push(rgb);
        }
        assert_eq!(decoded, frames);
    }
}
