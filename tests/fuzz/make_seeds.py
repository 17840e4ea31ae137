#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora (tests/fuzz/corpus/NAME/seed-*): valid inputs
each target starts from. Run from anywhere after a change of the protos or formats:
    python3 tests/fuzz/make_seeds.py
The gRPC seeds are requests encoded by protoc, led by the byte that picks their method in
fuzz_grpc's order (the server's method table: UnitService, TaskService, ReportService,
EventService, AccessService, AdminService; unary methods in .proto order); fuzz_connect's
take the same byte, then a byte for the call's form (tests/fuzz/fuzz_connect.cc)."""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CORPUS = os.path.join(ROOT, "tests", "fuzz", "corpus")
SERVICES = ["UnitService", "TaskService", "ReportService", "EventService", "AccessService",
            "AdminService"]


def unary_methods():
    found = {}
    for name in sorted(os.listdir(os.path.join(ROOT, "proto", "d06", "v1"))):
        text = open(os.path.join(ROOT, "proto", "d06", "v1", name), encoding="utf-8").read()
        for service in re.finditer(r"\nservice (\w+) \{(.*?)\n\}", text, re.S):
            found[service.group(1)] = [
                (m.group(1), m.group(2))
                for m in re.finditer(r"rpc (\w+)\((\w+)\) returns \((stream )?\w+\)", service.group(2))
                if not m.group(3)]
    order = []
    for service in SERVICES:
        order += [(service, method, request) for method, request in found.get(service, [])]
    return order


def write(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, "seed-" + name), "wb") as f:
        f.write(data)


GRPC = {
    "CreateUnit": "unit { code: 'H02' display_name: 'Tỉnh Hai' kind: UNIT_KIND_PROVINCE }",
    "GetUnit": "name: 'units/H01'",
    "ListUnits": "filter: 'parent = \"units/H01\"' page_size: 10",
    "UpdateUnit": "unit { name: 'units/H01.01' display_name: 'Sở Tư pháp tỉnh' } update_mask { paths: 'display_name' }",
    "RenameUnit": "name: 'units/H01.01' display_name: 'Sở Nội vụ' effective_date { year: 2026 month: 7 day: 1 } reason: 'Đổi tên'",
    "MoveUnit": "name: 'units/H01.01' new_parent: 'units/H01' effective_date { year: 2026 month: 7 day: 1 }",
    "MergeUnits": "names: 'units/H01.01' successor: 'units/H01' effective_date { year: 2026 month: 7 day: 1 } reason: 'Hợp nhất'",
    "DissolveUnit": "name: 'units/H01.01' successor: 'units/H01' effective_date { year: 2026 month: 7 day: 1 }",
    "CreateTask": "task { title: 'Nhiệm vụ' kind: TASK_KIND_ONE_OFF assigning_unit: 'units/H01' deadline { year: 2027 month: 1 day: 31 } labels: 'Kế hoạch' } assignments { unit: 'units/H01.01' role: ASSIGNMENT_ROLE_LEAD } request_id: 'r-1'",
    "GetTask": "name: 'tasks/1'",
    "ListTasks": "query: 'căn cước công dân' filter: 'state = OPEN AND deadline < 2027-01-01' page_size: 5",
    "UpdateTask": "task { name: 'tasks/1' content: 'Nội dung' } update_mask { paths: 'content' }",
    "CancelTask": "name: 'tasks/1' reason: 'Không còn cần'",
    "CreateAssignment": "parent: 'tasks/1' assignment { unit: 'units/H01' role: ASSIGNMENT_ROLE_SUPPORT }",
    "GetAssignment": "name: 'tasks/1/assignments/H01.01'",
    "ListAssignments": "parent: 'tasks/-' filter: 'unit_tree = \"units/H01\" AND state = NOT_STARTED'",
    "StartAssignment": "name: 'tasks/1/assignments/H01.01'",
    "ReportAssignmentProgress": "name: 'tasks/1/assignments/H01.01' percent: 50 note: 'Đang làm'",
    "SubmitAssignment": "name: 'tasks/1/assignments/H01.01' note: 'Xong'",
    "RequestExtension": "name: 'tasks/1/assignments/H01.01' deadline { year: 2027 month: 3 day: 1 } reason: 'Thêm'",
    "UrgeAssignment": "name: 'tasks/1/assignments/H01.01' message: 'Khẩn'",
    "ListTaskEvents": "parent: 'tasks/1' page_size: 3",
    "GetSummary": "unit: 'units/H01' group_by: SUMMARY_GROUP_BY_CHILD_UNIT as_of { year: 2026 month: 6 day: 30 }",
    "CreatePrincipal": "principal_id: 'an' principal { display_name: 'An' kind: PRINCIPAL_KIND_PERSON bindings { role: ROLE_VIEWER unit: 'units/H01' } }",
    "ListPrincipals": "page_size: 2",
    "WhoAmI": "",
}


def main():
    methods = unary_methods()
    protos = [os.path.join("d06", "v1", f)
              for f in sorted(os.listdir(os.path.join(ROOT, "proto", "d06", "v1")))
              if f.endswith(".proto")]
    for index, (service, method, request) in enumerate(methods):
        if method not in GRPC:
            continue
        encoded = subprocess.run(
            ["protoc", "-I", os.path.join(ROOT, "proto"), "--encode=d06.v1." + request] + protos,
            input=GRPC[method].encode(), capture_output=True, cwd=os.path.join(ROOT, "proto"), check=True).stdout
        write("grpc", method, bytes([index]) + encoded)
        # fuzz_connect: the same method byte, then its form byte (2: POST, protobuf).
        write("connect", method + "-proto", bytes([index, 2]) + encoded)
    index = {method: i for i, (_, method, _) in enumerate(methods)}
    # fuzz_connect in JSON: POST (form 0), Connect's GET (1), a Connect-Timeout-Ms header
    # (8) and an actor (16), each header's value before the first newline.
    for method, form, header, body in [
            ("CreateUnit", 0, "", '{"unit":{"code":"H04","displayName":"Tỉnh Bốn","kind":"UNIT_KIND_PROVINCE"}}'),
            ("GetUnit", 1, "", '{"name":"units/H01"}'),
            ("ListUnits", 0, "", '{"filter":"parent = \\"units/H01\\"","pageSize":10}'),
            ("CreateTask", 16, "Nguyễn Văn An",
             '{"task":{"title":"Nhiệm vụ","kind":"TASK_KIND_ONE_OFF","assigningUnit":"units/H01",'
             '"deadline":{"year":2027,"month":1,"day":31}},"assignments":[{"unit":"units/H01.01",'
             '"role":"ASSIGNMENT_ROLE_LEAD"}],"requestId":"r-2"}'),
            ("GetTask", 1, "", '{"name":"tasks/1"}'),
            ("ListTasks", 8, "5000", '{"query":"căn cước","filter":"state = OPEN","pageSize":5}'),
            ("UpdateTask", 0, "", '{"task":{"name":"tasks/1","content":"Nội dung"},"updateMask":"content"}'),
            ("GetSummary", 0, "", '{"unit":"units/H01","groupBy":"SUMMARY_GROUP_BY_CHILD_UNIT","asOf":{"year":2026,"month":6,"day":30}}'),
            ("WhoAmI", 0, "", "{}")]:
        value = header.encode() + b"\n" if form & 0x38 else b""
        write("connect", method + "-json", bytes([index[method], form]) + value + body.encode())

    body = '{"unit":{"code":"H03","displayName":"Tỉnh Ba","kind":"UNIT_KIND_PROVINCE"}}'.encode()
    write("http", "connect-json", b"POST /d06.v1.UnitService/CreateUnit HTTP/1.1\r\nHost: d06\r\n"
          b"Content-Type: application/json\r\nConnect-Protocol-Version: 1\r\nx-d06-actor: fuzz\r\n"
          b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)
    get = b'{"name":"tasks/1"}'
    write("http", "connect-get", b"GET /d06.v1.TaskService/GetTask?encoding=json&message=" +
          get.replace(b'"', b"%22").replace(b"{", b"%7B").replace(b"}", b"%7D").replace(b":", b"%3A")
          + b" HTTP/1.1\r\nHost: d06\r\n\r\n")
    write("http", "preflight", b"OPTIONS /d06.v1.TaskService/ListTasks HTTP/1.1\r\nHost: d06\r\n"
          b"Origin: https://portal.example\r\nAccess-Control-Request-Method: POST\r\n"
          b"Access-Control-Request-Headers: content-type,connect-protocol-version\r\n\r\n")
    write("http", "dashboard", b"GET / HTTP/1.1\r\nHost: d06\r\nConnection: close\r\n\r\n")
    write("http", "chunked", b"POST /d06.v1.TaskService/ListTasks HTTP/1.1\r\nHost: d06\r\n"
          b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n")

    for i, text in enumerate([
            'state = IN_PROGRESS AND deadline < 2026-01-31',
            'unit = "units/H29.01" AND label = "Kế hoạch năm"',
            'deadline >= 2026-03-01 AND deadline <= 2026-03-31 AND state != DONE',
            'category = "Dữ liệu dân cư"', 'unit_tree = "units/H29" AND role = LEAD',
            # the escapes of a quoted value, and mistakes a person makes
            'label = "Kế hoạch \\"06\\" \\\\ năm"', 'state == DONE AND', 'deadline < "2026-01-31']):
        write("filter", str(i), text.encode())

    for i, text in enumerate(["căn cước", "de an 06", "Đề án", "dữ liệu dân cư", "ĐỀ ÁN 06",
                              "VNeID mức 2", "6/2026", "   ", ""]):
        write("search", str(i), text.encode())

    write("page_token", "empty", b"")
    write("page_token", "base64", b"AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v")

    examples = os.path.join(ROOT, "client", "ctl", "examples")
    write("csv", "units", b"\x00" + open(os.path.join(examples, "units.csv"), "rb").read())
    write("csv", "tasks", b"\x01" + open(os.path.join(examples, "tasks.csv"), "rb").read())
    write("csv", "reorganisation", b"\x02" + (
        "STT,Mã cũ,Mã mới,Tên mới,Ngày hiệu lực,Hình thức,Cấp trên mới,Căn cứ\n"
        "1,H02,H01,,01/07/2025,Sáp nhập,,Nghị quyết 202/2025/QH15\n"
        "2,H01.D1,H01,,01/07/2025,Giải thể,,Nghị quyết 1656/NQ-UBTVQH15\n").encode())

    env = b"LISTEN=127.0.0.1:1\nFUZZ_CACHE_MB=12"
    write("config", "file", bytes([len(env)]) + env + (
        "# d06d.conf\n--fuzz_listen=0.0.0.0:50051\nfuzz_cache_mb = 512\n--fuzz_verbose\n"
        "--fuzz_timeout=90s\n--fuzz_ratio=0.25\n").encode())

    for i, words in enumerate([
            [b"tasks", b"create", b"--task.title=Nhi\xe1\xbb\x87m v\xe1\xbb\xa5", b"--task.kind=ONE_OFF"],
            [b"--server=127.0.0.1:50051", b"--plaintext", b"--output=json", b"--task.deadline=2026-12-31"],
            [b"--name=tasks/1", b"--update_mask=title,content", b'--json={"task":{"title":"A"}}'],
            [b"--token_file=/dev/null", b"--timeout=5s", b"--unit.kind=PROVINCE", b"--page_size=10"]]):
        write("ctl_flags", str(i), bytes([i * 7]) + b"\n".join(words))


if __name__ == "__main__":
    main()
