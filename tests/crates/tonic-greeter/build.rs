//! Generates the tonic server and client of `proto/greeter.proto` as
//! tonic-build does for any project, with the .proto parsed by protox (so no
//! `protoc` is needed), and writes the encoded descriptor set beside them for
//! server reflection.

use prost::Message as _;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed=proto/greeter.proto");
    let fds = protox::compile(["greeter.proto"], ["proto"])?;
    let out = std::path::PathBuf::from(std::env::var("OUT_DIR")?);
    std::fs::write(out.join("greeter_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure().build_server(true).build_client(true).compile_fds(fds)?;
    Ok(())
}
