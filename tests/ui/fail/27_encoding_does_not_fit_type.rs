#[bia::message(package = "ui.v1")]
pub struct Point {
    #[field(sint64)]
    pub x: i32,
}

fn main() {}
