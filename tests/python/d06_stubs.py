"""The Python modules of d06's .proto files, for the tests that call d06 from Python:
protoc with the gRPC Python plugin (Debian's protobuf-compiler and
protobuf-compiler-grpc), the recipe of README, "Python"."""

import os
import shutil
import subprocess
import sys


def generate(proto_dir, out_dir):
    """Generates the d06.v1 modules into out_dir (emptied first) and puts it first on
    sys.path. Returns None, or what is missing, in a sentence."""
    plugin = shutil.which("grpc_python_plugin")
    if plugin is None:
        return "grpc_python_plugin not found: apt-get install protobuf-compiler-grpc"
    shutil.rmtree(out_dir, ignore_errors=True)
    os.makedirs(out_dir)
    protos = [os.path.join("d06/v1", f)
              for f in sorted(os.listdir(os.path.join(proto_dir, "d06/v1")))
              if f.endswith(".proto")]
    subprocess.run(["protoc", f"-I{proto_dir}", f"--python_out={out_dir}",
                    f"--grpc_python_out={out_dir}",
                    f"--plugin=protoc-gen-grpc_python={plugin}"] + protos,
                   check=True)
    sys.path.insert(0, out_dir)
    return None
