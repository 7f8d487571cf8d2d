//! Finding `initdb` and `pg_ctl`: both from one PostgreSQL installation, on PATH or where
//! Debian and Ubuntu keep them.

use std::fs;
use std::path::{Path, PathBuf};

use super::ClusterError;

/// The two PostgreSQL programs a private cluster needs, from one installation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PgBinaries {
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
}

/// Finds `initdb` and `pg_ctl`: only in `STRIDE_PG_BIN_DIR` when it is set, else in one
/// directory of PATH, else in the newest `/usr/lib/postgresql/<version>/bin` (Debian and
/// Ubuntu keep them off PATH).
pub fn find_binaries() -> Result<PgBinaries, ClusterError> {
    let found = match std::env::var_os("STRIDE_PG_BIN_DIR") {
        Some(dir) => find_binaries_in(Some(&dir), Path::new("")),
        None => find_binaries_in(
            std::env::var_os("PATH").as_deref(),
            Path::new("/usr/lib/postgresql"),
        ),
    };
    found.ok_or(ClusterError::BinariesNotFound)
}

fn find_binaries_in(path: Option<&std::ffi::OsStr>, versions_root: &Path) -> Option<PgBinaries> {
    let mut versions: Vec<(Vec<u64>, PathBuf)> = fs::read_dir(versions_root)
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let key = entry
                .file_name()
                .to_str()?
                .split('.')
                .map(|part| part.parse().ok())
                .collect::<Option<Vec<u64>>>()?;
            Some((key, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    // Both from one directory, so the server initdb prepares for is the one pg_ctl starts.
    path.into_iter()
        .flat_map(std::env::split_paths)
        .chain(versions.into_iter().map(|(_, dir)| dir))
        .find_map(|dir| {
            let binaries = PgBinaries {
                initdb: dir.join("initdb"),
                pg_ctl: dir.join("pg_ctl"),
            };
            (is_executable(&binaries.initdb) && is_executable(&binaries.pg_ctl)).then_some(binaries)
        })
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_installed_binaries() {
        let binaries = find_binaries().unwrap();
        assert!(is_executable(&binaries.initdb), "{binaries:?}");
        assert!(is_executable(&binaries.pg_ctl), "{binaries:?}");
    }

    #[test]
    fn prefers_path_then_the_numerically_newest_version() {
        let root = std::env::temp_dir().join(format!("stride-bins-{}", uuid::Uuid::now_v7()));
        for version in ["9.6", "10", "15", "notes"] {
            let bin = root.join("lib").join(version).join("bin");
            fs::create_dir_all(&bin).unwrap();
            for program in ["initdb", "pg_ctl"] {
                fs::write(bin.join(program), "").unwrap();
                use std::os::unix::fs::PermissionsExt;
                fs::set_permissions(bin.join(program), fs::Permissions::from_mode(0o755)).unwrap();
            }
        }
        let lib = root.join("lib");
        let found = find_binaries_in(Some("/nonexistent".as_ref()), &lib).unwrap();
        assert_eq!(found.initdb, lib.join("15/bin/initdb"));
        let on_path = lib.join("9.6/bin");
        let found = find_binaries_in(Some(on_path.as_os_str()), &lib).unwrap();
        assert_eq!(found.pg_ctl, on_path.join("pg_ctl"));
        fs::remove_dir_all(&root).unwrap();
    }
}
