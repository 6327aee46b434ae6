#[bia::message(package = "ui.v1")]
pub struct Page {
    pub offset: usize,
}

fn main() {}
