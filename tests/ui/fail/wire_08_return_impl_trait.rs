#[bia::provider]
fn new_name() -> impl std::fmt::Display {
    "bia"
}

fn main() {}
