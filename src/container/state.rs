//! `rsrun state <id>`: the container's OCI state as indented JSON, like runc (owner "" as runc
//! prints it; pid 0 once stopped).
use crate::cli::Global;
use crate::error::Result;
use crate::json::Writer;
use crate::state::{Id, Store};

pub fn run(g: &Global, id: Id) -> Result<i32> {
    let c = Store::new(&g.root).get(id)?;
    let st = c.load()?;
    let status = c.status(&st)?;
    let mut w = Writer::new();
    st.write_oci(&mut w, status, "");
    let mut out = super::pretty(w.as_bytes(), b"  ");
    out.push(b'\n');
    super::print(&out)?;
    Ok(0)
}
