CREATE TABLE nexmark WITH (connector = 'nexmark');
CREATE TABLE n2 WITH (connector = 'nexmark');
INSERT INTO n2 SELECT * FROM nexmark;
