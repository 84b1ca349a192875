# Key, pin and certificate files (included by CMakeLists.txt here): crash-safe secret-file
# writes, the node identity, the trust store and the TLS certificate on disk.
# files.cpp, identity.cpp and trust_files.cpp implement the public offline API over them
# (include/barrel_p2p/files.hpp, identity.hpp, trust_files.hpp) for tools/. file_writer.cpp
# runs a node's pin writes on one background thread per process; data_dir_lock.cpp is the
# lock a running node holds on its data_dir.
list(APPEND BARREL_RUNTIME_SOURCES secure_file.cpp key_files.cpp pin_files.cpp data_dir_lock.cpp
     certificate_files.cpp files.cpp identity.cpp trust_files.cpp file_writer.cpp
     rotation_files.cpp)
list(APPEND BARREL_RUNTIME_TESTS secure_file_test.cpp key_files_test.cpp pin_files_test.cpp
     certificate_files_test.cpp files_test.cpp identity_test.cpp trust_files_test.cpp
     file_writer_test.cpp data_dir_lock_test.cpp rotation_files_test.cpp)
