// SPDX-License-Identifier: Apache-2.0
// The PayAll hub's anchor: one Merkle root per sealed batch of settled transfers, written once by the
// hub's chain key, so anyone can check a transfer's inclusion proof against the chain, not the hub.
pragma solidity ^0.8.20;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";

contract Anchor is Ownable {
    /// One anchored batch. The three integers share a storage slot with room to spare, so a batch costs
    /// two fresh slots whatever its size.
    struct Batch {
        bytes32 root;
        uint64 count;
        uint64 blockNumber;
        uint64 timestamp;
    }

    mapping(uint64 batchId => Batch) public batches;

    event Anchored(uint64 indexed batchId, bytes32 root, uint64 count);

    error BatchAlreadyAnchored(uint64 batchId, bytes32 root);
    error EmptyBatch(uint64 batchId);

    constructor(address initialOwner) Ownable(initialOwner) {}

    /// Records `root` over `count` transfers as batch `batchId`. A batch is history: it is never overwritten,
    /// not even with the same root, so a resent transaction cannot change what was anchored.
    function anchor(uint64 batchId, bytes32 root, uint64 count) external onlyOwner {
        if (root == bytes32(0) || count == 0) revert EmptyBatch(batchId);
        bytes32 existing = batches[batchId].root;
        if (existing != bytes32(0)) revert BatchAlreadyAnchored(batchId, existing);
        batches[batchId] = Batch(root, count, uint64(block.number), uint64(block.timestamp));
        emit Anchored(batchId, root, count);
    }

    /// Whether `proof` links the 32-byte `transferId` to batch `batchId`'s root. The leaf is hashed as
    /// OpenZeppelin's StandardMerkleTree hashes a ['bytes32'] value: keccak256(keccak256(abi.encode(value))).
    function verify(uint64 batchId, bytes32 transferId, bytes32[] calldata proof) external view returns (bool) {
        bytes32 root = batches[batchId].root;
        if (root == bytes32(0)) return false;
        bytes32 leaf = keccak256(bytes.concat(keccak256(abi.encode(transferId))));
        return MerkleProof.verifyCalldata(proof, root, leaf);
    }
}
