// The live cluster page of the admin endpoint (GET /, docs/reference/admin-api.md): the files
// of tools/admin_page/, embedded in the binary at build time by cmake/embed_files.cmake, so a
// node serves them without reading its disk. No JavaScript library; nothing loads from
// elsewhere.
#pragma once

#include <span>
#include <string_view>

namespace barrel_p2p::cli {

/// One embedded file.
struct AdminPageFile {
  std::string_view name;  ///< its file name in tools/admin_page/ ("index.html", "page.js", ...)
  std::string_view body;  ///< its bytes, valid for the program's lifetime
};

/// Every file of the page (generated source). The endpoint serves "index.html" at "/" and
/// each file at "/<name>".
std::span<const AdminPageFile> admin_page_files();

/// The Content-Type for a file name, by its extension: text/html, text/javascript, text/css
/// (each with charset=utf-8), else application/octet-stream.
std::string_view admin_page_content_type(std::string_view name);

}  // namespace barrel_p2p::cli
