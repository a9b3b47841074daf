CREATE TABLE impulse WITH (connector = 'impulse', message_count = '3');
SELECT counter FROM impulse;
