# Event loop, UDP socket, real clock and OS randomness (included by CMakeLists.txt here).
list(APPEND BARREL_RUNTIME_SOURCES event_loop.cpp udp_socket.cpp system_clock.cpp os_rng.cpp)
list(APPEND BARREL_RUNTIME_TESTS event_loop_test.cpp udp_socket_test.cpp system_clock_test.cpp
     os_rng_test.cpp)
