"""Passwords too common to allow (compared case-insensitively, also with trailing digits and
symbols removed, so "Password2024!" matches "password"). Shorter ones are refused by the
minimum length anyway; they are here for the "base word + digits" form. Sources: the public
top-password lists (NCSC "100k most used", SecLists top lists), words anyone would try against
a Bhutanese government tool, and this project's own published demo password.

A module rather than a file under resources/ so it travels with the code that reads it."""

COMMON_PASSWORDS = frozenset({
    'password', 'passw0rd', 'p@ssword', 'p@ssw0rd', 'passwort', 'motdepasse', 'qwerty',
    'qwertyuiop', 'qwertyui', 'qwerty123', 'qwertyuiop123', 'asdfghjkl', 'asdfghjkl;', 'zxcvbnm',
    'zxcvbnm123', '1q2w3e4r', '1q2w3e4r5t', '1q2w3e4r5t6y', '1qaz2wsx', '1qaz2wsx3edc', 'qazwsx',
    'qazwsxedc', 'zaq12wsx', 'zaq1zaq1', '1234567890', '0987654321', '12345678910', '123456789a',
    '123456789q', '1234qwer', 'abcd1234', 'abc123', 'abcdefgh', 'abcdefghij', 'a1b2c3d4',
    'a1b2c3d4e5', 'iloveyou', 'iloveyou123', 'princess', 'sunshine', 'football', 'baseball',
    'basketball', 'superman', 'batman', 'starwars', 'letmein', 'letmein123', 'welcome',
    'welcome123', 'changeme', 'changeme123', 'administrator', 'admin', 'admin123', 'admin@123',
    'root', 'toor', 'master', 'masterkey', 'secret', 'secret123', 'trustno1', 'dragon', 'monkey',
    'shadow', 'michael', 'jennifer', 'jordan23', 'whatever', 'freedom', 'computer', 'internet',
    'login', 'login123', 'default', 'guest', 'test', 'test123', 'testing', 'testtest', 'user',
    'user1234', 'service', 'server', 'database', 'access', 'accessdenied', 'mypassword',
    'newpassword', 'oldpassword', 'yourpassword', 'thepassword', 'nopassword', 'password1',
    'password12', 'password123', 'password1234', 'passwordpassword', '1111111111', '0000000000',
    '2222222222', '5555555555', '7777777777', '8888888888', '9999999999', '1212121212',
    '1122334455', '1234512345', '1234554321', '9876543210', 'aaaaaaaaaa', 'qqqqqqqqqq',
    'correcthorsebatterystaple', 'correct horse battery staple', 'bhutan', 'bhutan123', 'druk',
    'drukyul', 'drukair', 'druk123', 'thimphu', 'paro', 'punakha', 'bumthang', 'kuzuzangpo',
    'kuzuzangpola', 'tashidelek', 'tashi delek', 'gnh', 'grossnationalhappiness', 'happiness',
    'rcsc', 'rcsc123', 'servicecommission', 'civilservice', 'dcrc', 'census', 'serve', 'servecati',
    'serve-cati', 'serve cati', 'cati', 'cati123', 'survey', 'survey123', 'enumerator',
    'supervisor', 'analyst', 'serve-demo',
})
