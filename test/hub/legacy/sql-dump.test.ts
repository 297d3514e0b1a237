import t from 'tap'
import { readSqlDump } from '../../../hub/legacy/dump-reader'
import { piecesOf, readAll } from './dump-writers'

const PG_DUMP = `--
-- PostgreSQL database dump
--
\\restrict abc123
SET standard_conforming_strings = on;
CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS $_$ BEGIN NEW.note := 'x;y'; RETURN NEW; END $_$;
CREATE TABLE public.users (
    id integer NOT NULL,
    full_name character varying(255) NOT NULL,
    phone character varying(20),
    CONSTRAINT users_id CHECK ((id > 0))
);
/* a block comment
   over two lines; with a ; in it */
COPY public.transactions (id, amount, reason, status) FROM stdin;
1\t0.10\tcafé \\t tab\\nnew line\tdone
2\t99999999.99\t\\N\t
3\t-5.00\tback\\\\slash \\303\\251 \\x41 \\101\tok
\\.

INSERT INTO public.users VALUES (1, 'O''Brien 😀', NULL);
INSERT INTO public.users (id, full_name, phone) VALUES (2, E'tab\\there\\nline \\'q\\' \\\\ \\u00e9', '');
INSERT INTO public.gateways (id, eui, created_at, active) VALUES (7, 'a0b1'::character varying, '2024-01-02 03:04:05'::timestamp without time zone, true), (8, NULL, '2024-01-02'::date, false);
SELECT pg_catalog.setval('public.users_id_seq', 2, true);
-- PostgreSQL database dump complete
`

t.test('reads the COPY blocks and INSERTs of a pg_dump and skips the rest', async t => {
  const rows = await readAll(readSqlDump(piecesOf(PG_DUMP), 'postgresql'))
  const transactions = ['id', 'amount', 'reason', 'status']
  t.strictSame(rows, [
    { table: 'transactions', columns: transactions, values: ['1', '0.10', 'café \t tab\nnew line', 'done'] },
    { table: 'transactions', columns: transactions, values: ['2', '99999999.99', null, ''] },
    { table: 'transactions', columns: transactions, values: ['3', '-5.00', 'back\\slash é A A', 'ok'] },
    { table: 'users', columns: ['id', 'full_name', 'phone'], values: ['1', "O'Brien 😀", null] },
    { table: 'users', columns: ['id', 'full_name', 'phone'], values: ['2', "tab\there\nline 'q' \\ é", ''] },
    { table: 'gateways', columns: ['id', 'eui', 'created_at', 'active'], values: ['7', 'a0b1', '2024-01-02 03:04:05', 'true'] },
    { table: 'gateways', columns: ['id', 'eui', 'created_at', 'active'], values: ['8', null, '2024-01-02', 'false'] },
  ])
})

t.test('reads a pg_dump fed one byte at a time the same as whole', async t => {
  t.strictSame(await readAll(readSqlDump(piecesOf(PG_DUMP, [1]), 'postgresql')), await readAll(readSqlDump(piecesOf(PG_DUMP), 'postgresql')))
})

const MYSQL_DUMP = `-- MySQL dump 10.13  Distrib 8.0.36
/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES utf8mb4 */;
DROP TABLE IF EXISTS \`account\`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE \`account\` (
  \`id\` int NOT NULL AUTO_INCREMENT,
  \`id_user\` int DEFAULT NULL,
  \`balance\` decimal(15,2) DEFAULT '0.00',
  \`id_compte_ext\` varchar(255) COLLATE utf8mb4_unicode_ci DEFAULT NULL,
  PRIMARY KEY (\`id\`),
  KEY \`account_id_user_foreign\` (\`id_user\`),
  CONSTRAINT \`account_id_user_foreign\` FOREIGN KEY (\`id_user\`) REFERENCES \`users\` (\`id\`)
) ENGINE=InnoDB AUTO_INCREMENT=3 DEFAULT CHARSET=utf8mb4;
LOCK TABLES \`account\` WRITE;
/*!40000 ALTER TABLE \`account\` DISABLE KEYS */;
INSERT INTO \`account\` VALUES (1,10,0.10,'B\\'K-1'),(2,NULL,99999999.99,''),(3,11,-0.50,NULL);
/*!40000 ALTER TABLE \`account\` ENABLE KEYS */;
UNLOCK TABLES;
# a hash comment
INSERT INTO \`users\` (\`id\`, \`name\`, \`meta_data\`, \`code\`) VALUES (1,'Zoé \\"Z\\" \\\\ it''s','{\\"a\\":1}\\r\\n\\t\\0\\Z',_binary 'ab'),(2,'日本',NULL,0x3132);
-- Dump completed on 2024-05-01 12:00:00
`

t.test('reads the INSERTs of a mysqldump, with and without a column list, and skips the rest', async t => {
  const rows = await readAll(readSqlDump(piecesOf(MYSQL_DUMP, [3, 1, 4, 1, 5]), 'mysql'))
  const account = ['id', 'id_user', 'balance', 'id_compte_ext']
  const users = ['id', 'name', 'meta_data', 'code']
  t.strictSame(rows, [
    { table: 'account', columns: account, values: ['1', '10', '0.10', "B'K-1"] },
    { table: 'account', columns: account, values: ['2', null, '99999999.99', ''] },
    { table: 'account', columns: account, values: ['3', '11', '-0.50', null] },
    { table: 'users', columns: users, values: ['1', 'Zoé "Z" \\ it\'s', '{"a":1}\r\n\t\0\x1a', 'ab'] },
    { table: 'users', columns: users, values: ['2', '日本', null, '12'] },
  ])
})

t.test('yields the rows of a big INSERT as they arrive, not once the statement ends', async t => {
  const rows = readSqlDump((async function* () {
    yield Buffer.from("INSERT INTO `t` (`a`) VALUES ('one'),")
    yield Buffer.from("('two'),(")
    t.fail('the first rows came out before the rest of the statement was read')
  })(), 'mysql')
  t.strictSame((await rows.next()).value, { table: 't', columns: ['a'], values: ['one'] })
  t.strictSame((await rows.next()).value, { table: 't', columns: ['a'], values: ['two'] })
})
