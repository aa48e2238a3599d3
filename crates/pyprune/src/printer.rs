//! The printer owns standard error: warnings, notes and progress go through it,
//! so that quiet and color settings are honoured in one place. Only report data
//! goes to standard output.

use crate::cli::ColorChoice;
use anstyle::{AnsiColor, Style};
use pyprune_tree::Tally;
use std::io::{IsTerminal as _, Write as _};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// How long work runs before a progress indicator appears.
const PROGRESS_DELAY: Duration = Duration::from_secs(1);

/// Set to `lines`, progress is written to stderr whatever it is, as one
/// `progress: STAGE` line per stage (every stage, at once, even a short one),
/// still hidden by `-q`: how the tests see which phases show progress without
/// a terminal. Not a user setting, so not in `--help`.
const PROGRESS_ENV: &str = "PYPRUNE_PROGRESS";

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ProgressMode {
    Hidden,
    /// A spinner on the terminal, after [`PROGRESS_DELAY`].
    Spinner,
    /// A line per stage ([`PROGRESS_ENV`]).
    Lines,
}

#[derive(Debug, Clone, Copy)]
pub struct Printer {
    quiet: u8,
    verbose: u8,
    stderr_color: bool,
    stdout_color: bool,
    stdout_width: Option<usize>,
    progress: ProgressMode,
}

impl Printer {
    pub fn new(color: ColorChoice, quiet: u8, verbose: u8) -> Printer {
        let stderr_is_tty = std::io::stderr().is_terminal();
        let lines = std::env::var_os(PROGRESS_ENV).is_some_and(|v| v == "lines");
        let progress = if quiet > 0 {
            ProgressMode::Hidden
        } else if lines {
            ProgressMode::Lines
        } else if stderr_is_tty && verbose == 0 {
            ProgressMode::Spinner
        } else {
            ProgressMode::Hidden
        };
        Printer {
            quiet,
            verbose,
            stderr_color: use_color(color, stderr_is_tty),
            stdout_color: use_color(color, std::io::stdout().is_terminal()),
            stdout_width: stdout_width(),
            progress,
        }
    }

    /// Whether report text on stdout may carry colors.
    pub fn stdout_color(&self) -> bool {
        self.stdout_color
    }

    /// The width report text is made to fit: `COLUMNS`, else the terminal's
    /// on stdout; `None` when stdout is not a terminal and `COLUMNS` is not set.
    pub fn stdout_width(&self) -> Option<usize> {
        self.stdout_width
    }

    pub fn warn(&self, message: &str) {
        if self.quiet < 2 {
            self.labelled("warning", AnsiColor::Yellow, message);
        }
    }

    pub fn error(&self, message: &str) {
        self.labelled("error", AnsiColor::Red, message);
    }

    /// Something worth knowing that is not a problem.
    pub fn note(&self, message: &str) {
        if self.quiet == 0 {
            self.labelled("note", AnsiColor::Cyan, message);
        }
    }

    /// Detail shown only with `-v`.
    pub fn verbose(&self, message: &str) {
        if self.verbose > 0 {
            self.labelled("info", AnsiColor::Blue, message);
        }
    }

    fn labelled(&self, label: &str, color: AnsiColor, message: &str) {
        let style = Style::new().bold().fg_color(Some(color.into()));
        let label = paint(self.stderr_color, style, label);
        // A closed stderr is no reason to stop the work.
        let _ = writeln!(std::io::stderr().lock(), "{label}: {message}");
    }

    /// A progress indicator for long work: it appears after a second, shows
    /// the tally's stage and count (`files compared: 120/7769`), and
    /// disappears when the returned guard is dropped. Hidden when stderr is
    /// not a terminal, or with `-q` or `-v`. Every phase that can take more
    /// than a second runs under one.
    pub fn progress(&self, tally: Arc<Tally>) -> Progress {
        Progress::start(self.progress, tally)
    }
}

/// Applies `style` to `text` when colors are on.
pub fn paint(enabled: bool, style: Style, text: &str) -> String {
    if enabled {
        format!("{}{text}{}", style.render(), style.render_reset())
    } else {
        text.to_owned()
    }
}

/// `--color`, then NO_COLOR, then FORCE_COLOR, then whether the stream is a terminal.
fn use_color(choice: ColorChoice, is_tty: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto if set("FORCE_COLOR") => true,
        ColorChoice::Auto => is_tty,
    }
}

/// Narrower than this, no table fits its numbers: a smaller width is taken as this.
const NARROWEST: usize = 40;

/// `COLUMNS` (as shells export it, and as a user sets it for a pipe), else
/// the width of the terminal stdout is; `None` otherwise.
fn stdout_width() -> Option<usize> {
    let columns = std::env::var("COLUMNS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
        .filter(|&w| w > 0);
    let width = columns.or_else(|| {
        terminal_size::terminal_size_of(std::io::stdout())
            .map(|(terminal_size::Width(w), _)| usize::from(w))
    })?;
    Some(width.max(NARROWEST))
}

/// A running progress indicator; dropping it stops and clears it.
#[derive(Debug)]
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    fn start(mode: ProgressMode, tally: Arc<Tally>) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let thread = match mode {
            ProgressMode::Hidden => None,
            ProgressMode::Spinner => {
                let done = Arc::clone(&done);
                Some(std::thread::spawn(move || run_progress(&done, &tally)))
            }
            ProgressMode::Lines => {
                let done = Arc::clone(&done);
                Some(std::thread::spawn(move || {
                    run_progress_lines(&done, &tally)
                }))
            }
        };
        Progress { done, thread }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn run_progress(done: &AtomicBool, tally: &Tally) {
    let tick = Duration::from_millis(50);
    let started = Instant::now();
    while started.elapsed() < PROGRESS_DELAY {
        if done.load(Ordering::Relaxed) {
            return;
        }
        std::thread::sleep(tick);
    }
    let bar = indicatif::ProgressBar::new_spinner().with_style(
        indicatif::ProgressStyle::with_template("{spinner} {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    while !done.load(Ordering::Relaxed) {
        bar.set_message(progress_message(tally.read()));
        bar.tick();
        std::thread::sleep(tick * 2);
    }
    bar.finish_and_clear();
}

/// Writes `progress: STAGE` for every stage the tally begins, until done.
fn run_progress_lines(done: &AtomicBool, tally: &Tally) {
    let mut shown = 0;
    let mut last = String::new();
    let mut show_new = || {
        let stages = tally.stages_from(shown);
        shown += stages.len();
        let mut stderr = std::io::stderr().lock();
        // A stage begun again under the same name is one stage to a reader.
        for stage in stages {
            if stage != last {
                let _ = writeln!(stderr, "progress: {stage}");
                last = stage;
            }
        }
    };
    while !done.load(Ordering::Relaxed) {
        show_new();
        std::thread::sleep(Duration::from_millis(20));
    }
    // The stages begun since the last look.
    show_new();
}

/// `stage: done`, or `stage: done/total` once the total is known.
fn progress_message((stage, done, total): (String, u64, u64)) -> String {
    if total == 0 && done == 0 {
        // Nothing counted yet (or nothing to count): the stage says it.
        stage
    } else if total == 0 {
        format!("{stage}: {done}")
    } else {
        format!("{stage}: {done}/{total}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_shows_the_total_once_known() {
        let tally = Tally::new("entries scanned");
        assert_eq!(progress_message(tally.read()), "entries scanned");
        tally.add(3);
        assert_eq!(progress_message(tally.read()), "entries scanned: 3");
        tally.begin("sources done", 1790);
        tally.add(120);
        assert_eq!(progress_message(tally.read()), "sources done: 120/1790");
    }
}
