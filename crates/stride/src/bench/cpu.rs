//! CPU time per operation, read from `/proc` around a scenario: the server's process, every
//! PostgreSQL process on the machine (backends, WAL writer, checkpointer...), this load
//! generator, and the machine as a whole. Throughput on a shared 2-core machine depends on
//! what else runs; CPU per operation does much less, and says which side a cost is on.

use serde::Serialize;

/// CPU ticks used so far, by side.
#[derive(Debug, Clone, Copy, Default)]
pub struct Ticks {
    server: Option<u64>,
    postgres: u64,
    bench: u64,
    machine: u64,
}

/// Microseconds of CPU per unit of work (a request, or an observation), by side.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct CpuPerUnit {
    /// The server process under test; absent when the bench targets a server elsewhere.
    pub server_us: Option<f64>,
    /// Every `postgres` process on this machine.
    pub postgres_us: f64,
    /// The load generator (this process).
    pub bench_us: f64,
    /// Every process on the machine, from `/proc/stat`.
    pub machine_us: f64,
}

impl Ticks {
    /// The ticks used so far by `server` (a pid), PostgreSQL, this process and the machine.
    pub fn now(server: Option<u32>) -> Ticks {
        let postgres = processes()
            .filter(|(comm, _)| comm == "postgres")
            .map(|(_, ticks)| ticks)
            .sum();
        Ticks {
            server: server.and_then(|pid| process_ticks(&format!("/proc/{pid}/stat"))),
            postgres,
            bench: process_ticks("/proc/self/stat").unwrap_or(0),
            machine: machine_ticks().unwrap_or(0),
        }
    }

    /// CPU per unit of `units` done since `before`. A PostgreSQL backend that ended in
    /// between is counted too: once the postmaster reaps it, its time is the postmaster's
    /// children's time.
    pub fn per_unit_since(self, before: Ticks, units: u64) -> CpuPerUnit {
        let tick_us = 1e6 / clock_ticks_per_second();
        let per = |ticks: u64| ticks as f64 * tick_us / units.max(1) as f64;
        CpuPerUnit {
            server_us: self
                .server
                .zip(before.server)
                .map(|(now, then)| per(now.saturating_sub(then))),
            postgres_us: per(self.postgres.saturating_sub(before.postgres)),
            bench_us: per(self.bench.saturating_sub(before.bench)),
            machine_us: per(self.machine.saturating_sub(before.machine)),
        }
    }
}

fn clock_ticks_per_second() -> f64 {
    nix::unistd::sysconf(nix::unistd::SysconfVar::CLK_TCK)
        .ok()
        .flatten()
        .map_or(100.0, |t| t as f64)
}

/// Every process's command name and ticks used (user and system).
fn processes() -> impl Iterator<Item = (String, u64)> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .bytes()
                .all(|b| b.is_ascii_digit())
        })
        .filter_map(|entry| {
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            parse_stat(&stat)
        })
}

fn process_ticks(path: &str) -> Option<u64> {
    parse_stat(&std::fs::read_to_string(path).ok()?).map(|(_, ticks)| ticks)
}

/// `comm` and `utime + stime + cutime + cstime` of a `/proc/<pid>/stat` line: the process's
/// own CPU and that of its children it reaped. The command name is in parentheses and may
/// hold spaces or parentheses itself, so fields are counted after the last `)`.
fn parse_stat(stat: &str) -> Option<(String, u64)> {
    let open = stat.find('(')?;
    let close = stat.rfind(')')?;
    let comm = stat.get(open + 1..close)?.to_owned();
    let fields: Vec<&str> = stat.get(close + 1..)?.split_whitespace().collect();
    // After the name: state (field 3) ... utime (14), stime (15), cutime (16) and cstime
    // (17), 1-based.
    let ticks = (11..=14)
        .map(|i| fields.get(i)?.parse::<u64>().ok())
        .sum::<Option<u64>>()?;
    Some((comm, ticks))
}

/// Ticks the machine spent on anything but idling and waiting for I/O.
fn machine_ticks() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/stat").ok()?;
    let cpu = stat.lines().find(|l| l.starts_with("cpu "))?;
    let fields: Vec<u64> = cpu
        .split_whitespace()
        .skip(1)
        .filter_map(|f| f.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal (guest time is inside user already).
    let busy = [0, 1, 2, 5, 6, 7]
        .iter()
        .filter_map(|&i| fields.get(i))
        .sum();
    Some(busy)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_lines_are_read_after_the_last_parenthesis() {
        let line = "4242 (postgres: a (b) c) S 1 2 3 4 5 6 7 8 9 10 150 25 7 3 20 0 1 0";
        assert_eq!(
            parse_stat(line),
            Some(("postgres: a (b) c".to_owned(), 185))
        );
        assert_eq!(parse_stat("garbage"), None);
    }

    #[test]
    fn this_process_uses_cpu_and_the_machine_more() {
        let before = Ticks::now(Some(std::process::id()));
        let mut x = 0u64;
        let started = std::time::Instant::now();
        while started.elapsed() < std::time::Duration::from_millis(200) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let cpu = Ticks::now(Some(std::process::id())).per_unit_since(before, 1);
        assert!(cpu.bench_us > 0.0, "{cpu:?}");
        assert_eq!(cpu.server_us, Some(cpu.bench_us));
        assert!(cpu.machine_us >= cpu.bench_us * 0.5, "{cpu:?}");
    }
}
