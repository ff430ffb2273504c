//! Drawing a frame into the window (landscape, labels, panel) and screenshots.

use super::*;

impl App {
    pub(super) fn redraw(&mut self, event_loop: &ActiveEventLoop) {
        self.dirty = false;
        let now = Instant::now();
        let dt = (now - self.last_frame).as_secs_f32().min(0.2);
        self.last_frame = now;
        self.controls.update(&mut self.camera, dt);
        let was_playing = self.playback.as_ref().is_some_and(|p| p.playing);
        if let Some(playback) = &mut self.playback
            && playback.advance(f64::from(dt))
        {
            // Coarse while playing, full quality on the frame it stops.
            let still_playing = playback.playing;
            self.refresh(still_playing);
        }
        let Some(gpu) = &mut self.gpu else { return };
        if gpu.config.width == 0 || gpu.config.height == 0 {
            return;
        }
        let frame = match gpu.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(frame)
            | wgpu::CurrentSurfaceTexture::Suboptimal(frame) => frame,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.configure();
                self.dirty = true;
                return;
            }
            wgpu::CurrentSurfaceTexture::Timeout => {
                self.dirty = true; // try again on the next turn of the event loop
                return;
            }
            _ => return, // occluded: the next window event asks for a frame
        };
        let view = if self.controls.moving() || self.coarse {
            self.view.moving(self.scene.width, self.ctx.is_software())
        } else {
            self.view
        };
        let target = frame.texture.create_view(&Default::default());
        let mut encoder = self.ctx.device.create_command_encoder(&Default::default());
        let size = (gpu.config.width, gpu.config.height);
        gpu.renderer.draw(
            &self.ctx.device,
            &self.ctx.queue,
            &mut encoder,
            &target,
            size,
            &self.scene,
            &self.camera,
            &view,
        );
        let input = gpu.egui.take_egui_input(&gpu.window);
        let info = PanelInfo {
            name: &self.options.name,
            architecture: self.options.model.architecture(),
            parameters: self.options.model.parameter_count(),
            class_names: &self.scene.class_names,
            input_names: &self.scene.input_names,
            domain: self.options.domain,
            whole_domain: self.whole_domain,
            resolution: self.scene.width,
            adapter: &self.report.adapter,
            frame_ms: 1e3 * self.frame_seconds / self.report.frames.max(1) as f64,
            activity: &self.activity,
            neuron: self.neuron,
        };
        let mut actions = PanelActions::default();
        let (scene, camera, show_panel) = (&self.scene, &self.camera, self.show_panel);
        let (panel_view, camera_mode) = (&mut self.view, &mut self.controls.mode);
        let mut slice = self.options.slice.as_mut();
        let mut playback = self.playback.as_mut();
        let output = gpu.overlay.draw(
            &self.ctx.device,
            &self.ctx.queue,
            &mut encoder,
            &target,
            size,
            input,
            |context| {
                if view.labels {
                    annotate(context, scene, camera, &view);
                }
                if show_panel {
                    actions = panel::show(
                        context,
                        &info,
                        panel_view,
                        camera_mode,
                        slice.as_deref_mut(),
                        playback.as_deref_mut(),
                    );
                }
            },
        );
        gpu.egui
            .handle_platform_output(&gpu.window, output.platform_output);
        if output
            .viewport_output
            .get(&egui::ViewportId::ROOT)
            .is_some_and(|v| v.repaint_delay.is_zero())
        {
            self.dirty = true;
        }
        self.ctx.queue.submit([encoder.finish()]);
        gpu.window.pre_present_notify();
        self.ctx.queue.present(frame);
        if let Err(e) = self.ctx.wait() {
            self.error = Some(e.to_string());
            event_loop.exit();
            return;
        }
        self.frame_seconds += now.elapsed().as_secs_f64();
        if was_playing {
            self.report
                .playing_frame_seconds
                .push(now.elapsed().as_secs_f64());
        }
        self.report.frames += 1;
        if let Some(started) = self.zoom_started.take() {
            self.report
                .zoom_seconds
                .push(started.elapsed().as_secs_f64());
        }
        if let Some((started, dragging)) = self.move_started.take() {
            self.report
                .slice_seconds
                .push((started.elapsed().as_secs_f64(), dragging));
        }
        if self.report.frames % 10 == 1 {
            let title = self.title();
            if let Some(gpu) = &self.gpu {
                gpu.window.set_title(&title);
            }
        }
        if self.controls.moving() || self.coarse {
            // Draw once more when the camera stops: the full-quality frame.
            self.dirty = true;
        }
        self.apply(actions);
        if self.options.sweep_slice {
            self.sweep_step();
            self.dirty = true;
        }
        let done = self.options.frames.is_some_and(|n| self.report.frames >= n);
        if let (Some(at), false) = (self.options.sweep_zoom, done) {
            self.zoom_around(at, Some(2.0));
        }
        if self.screenshot_requested || (done && self.options.screenshot.is_some()) {
            self.screenshot_requested = false;
            if let Err(e) = self.screenshot(size) {
                self.error = Some(e);
                event_loop.exit();
                return;
            }
        }
        if done {
            event_loop.exit();
        }
    }

    /// Draws the current view offscreen at the window's size and writes a PNG.
    pub(super) fn screenshot(&mut self, (width, height): (u32, u32)) -> Result<(), String> {
        let path = self.options.screenshot.clone().unwrap_or_else(|| {
            PathBuf::from(format!(
                "faultline-{}.png",
                self.report.screenshots.len() + 1
            ))
        });
        let device = &self.ctx.device;
        let renderer = self.screenshot_renderer.get_or_insert_with(|| {
            LandscapeRenderer::new(device, wgpu::TextureFormat::Rgba8UnormSrgb)
        });
        let pixels = render_rgba(
            &self.ctx,
            renderer,
            &self.scene,
            (width, height),
            &self.camera,
            &self.view,
        )
        .map_err(|e| e.to_string())?;
        (self.options.save_png)(&path, &pixels, width, height)?;
        eprintln!(
            "screenshot: {} (--domain {})",
            path.display(),
            crate::zoom::domain_flag(self.options.domain)
        );
        self.report.screenshots.push(path);
        Ok(())
    }
}
