namespace barrel_p2p::node {}
