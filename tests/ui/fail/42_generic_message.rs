#[bia::message(package = "ui.v1")]
pub struct Page<T> {
    pub items: Vec<T>,
}

fn main() {}
