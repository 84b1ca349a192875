# Key, pin and certificate files (included by CMakeLists.txt here): crash-safe secret-file
# writes, the node identity, the trust store and the TLS certificate on disk.
list(APPEND BARREL_RUNTIME_SOURCES secure_file.cpp key_files.cpp pin_files.cpp
     certificate_files.cpp)
list(APPEND BARREL_RUNTIME_TESTS secure_file_test.cpp key_files_test.cpp pin_files_test.cpp
     certificate_files_test.cpp)
