namespace barrel_p2p::transport {}
