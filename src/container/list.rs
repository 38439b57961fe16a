//! `rsrun list`: every container under --root, as runc's table (`ID PID STATUS BUNDLE CREATED
//! OWNER`, aligned like Go's tabwriter with minimum width 12 and padding 3), ids only (`-q`), or a
//! JSON array of state objects (`--format json`; `[]` when empty, where runc prints `null`).
use crate::cli::{Format, Global, ListOpts};
use crate::error::Result;
use crate::json::Writer;
use crate::state::{Id, State, Status, Store};
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

pub fn run(g: &Global, o: &ListOpts) -> Result<i32> {
    let store = Store::new(&g.root);
    let mut rows: Vec<(State, Status)> = Vec::new();
    for id in store.ids()? {
        let Ok(id) = Id::new(&id) else { continue };
        // A container deleted meanwhile, or still being created, is skipped; so is a broken one.
        let loaded = store.open(id).and_then(|c| match c {
            Some(c) => c.try_load()?.map(|st| c.status(&st).map(|s| (st, s))).transpose(),
            None => Ok(None),
        });
        match loaded {
            Ok(Some(row)) => rows.push(row),
            Ok(None) => {}
            Err(e) => crate::log_warn!("list: skipping {id}: {e}"),
        }
    }
    let users = if rows.is_empty() || o.quiet { Vec::new() } else { passwd() };
    let owner = |uid: u32| -> String {
        match users.iter().find(|(_, u)| *u == uid) {
            Some((name, _)) => name.clone(),
            None => alloc::format!("#{uid}"),
        }
    };
    let mut out = String::new();
    if o.quiet {
        for (st, _) in &rows {
            out.push_str(&st.id);
            out.push('\n');
        }
    } else if o.format == Format::Json {
        let mut w = Writer::new();
        w.begin_array();
        for (st, status) in &rows {
            st.write_oci(&mut w, *status, &owner(st.owner));
        }
        w.end_array();
        out.push_str(core::str::from_utf8(w.as_bytes()).unwrap_or("[]"));
        out.push('\n');
    } else {
        let mut table: Vec<[String; 6]> = Vec::with_capacity(rows.len() + 1);
        table.push(["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from));
        for (st, status) in &rows {
            let pid = if *status == Status::Stopped { 0 } else { st.pid };
            let row = [&*st.id, &alloc::format!("{pid}"), status.as_str(), &st.bundle, &st.created, &owner(st.owner)];
            table.push(row.map(String::from));
        }
        tabulate(&mut out, &table);
    }
    super::print(out.as_bytes())?;
    Ok(0)
}

/// Lays out cells like Go's tabwriter.NewWriter(w, 12, 1, 3, ' ', 0): every column but the last is
/// max(12, widest cell + 3) characters wide.
fn tabulate<const N: usize>(out: &mut String, table: &[[String; N]]) {
    let mut width = [12usize; N];
    for row in table {
        for (w, cell) in width.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count() + 3);
        }
    }
    for row in table {
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                let _ = writeln!(out, "{cell}");
            } else {
                let _ = write!(out, "{cell:<w$}", w = width[i]);
            }
        }
    }
}

/// (name, uid) pairs from /etc/passwd, for the OWNER column; empty if it cannot be read.
fn passwd() -> Vec<(String, u32)> {
    let Ok(data) = crate::rt::io::read_at(rustix::fs::CWD, "/etc/passwd") else { return Vec::new() };
    passwd_names(&data)
}

/// (name, uid) pairs of passwd text (name:password:uid:...); lines without a numeric uid are skipped.
#[doc(hidden)]
pub fn passwd_names(data: &[u8]) -> Vec<(String, u32)> {
    let text = crate::rt::lossy(data);
    text.lines()
        .filter_map(|l| {
            let mut f = l.split(':');
            let name = f.next()?;
            let uid = crate::rt::parse_u32(f.nth(1)?)?;
            Some((String::from(name), uid))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_layout_matches_tabwriter() {
        let t = [
            ["ID", "PID", "STATUS", "BUNDLE", "CREATED", "OWNER"].map(String::from),
            ["cli-probe-1", "10198", "created", "/tmp/cli-probe/b", "2026-11-29T00:58:09.258237878Z", "root"]
                .map(String::from),
        ];
        let mut out = String::new();
        tabulate(&mut out, &t);
        // Captured from `runc list`.
        assert_eq!(
            out,
            "ID            PID         STATUS      BUNDLE             CREATED                          OWNER\n\
             cli-probe-1   10198       created     /tmp/cli-probe/b   2026-11-29T00:58:09.258237878Z   root\n"
        );
        let mut empty = String::new();
        tabulate(&mut empty, &t[..1]);
        assert_eq!(empty, "ID          PID         STATUS      BUNDLE      CREATED     OWNER\n");
    }
}
