#!/usr/bin/env bash
# Every path of the source tree named in a comment or a document exists, so that help
# and header comments do not send readers to files that were moved or never written.
# Reads the comments (// in C++, .proto and JavaScript; # in shell, CMake and YAML) of
# every tracked file and all of every tracked Markdown file; a path is a word starting
# with a top-level folder (server/api/wire.h, tests/import/, client/ctl/examples/).
# Paths with wildcards or placeholders (*, {, <) are skipped, and so are ones git ignores
# (made at build or test time, e.g. tests/web/gen/). Prints each missing path with where
# it is named; exits 1 if any.
#   check_paths.sh REPO_ROOT
set -euo pipefail
cd "$1"

missing="$(git ls-files -z | perl -0 -ne '
  chomp;
  my $file = $_;
  my $style = $file =~ /\.md$/ ? "all"
            : $file =~ /\.(h|cc|proto|js|mjs)$/ ? "//"
            : $file =~ /(\.sh|CMakeLists\.txt|\.cmake|\.ya?ml|Dockerfile|\.gitignore)$/ ? "#"
            : next;
  open(my $in, "<", $file) or next;
  local $/ = "\n";
  while (my $line = <$in>) {
    my $text = $style eq "all" ? $line
             : $style eq "//" ? ($line =~ m{(//.*)} ? $1 : next)
             : ($line =~ /(#.*)/ ? $1 : next);
    # A path starts the text or follows a space, bracket, quote or backquote (not the
    # "/" of a URL or of a longer path).
    while ($text =~ m{(?:^|[\s(\[`"\x27])((?:server|client|common|storage|proto|tests|scripts|deploy|docs)/[\w./*{}<>-]*)}g) {
      my $path = $1;
      $path =~ s/[.\-]+$//;
      next if $path =~ /[*{<]/;
      print "$file\t$path\n" unless -e $path;
    }
  }
')"
bad=0
while IFS=$'\t' read -r file path; do
  [[ -z "${path}" ]] && continue
  git check-ignore -q "${path}" && continue
  echo "paths: ${file} names ${path}, which does not exist" >&2
  bad=1
done <<<"${missing}"
exit "${bad}"
