"""Replies as chat models write them, full of repetition that is not a loop, and real loops.

The loop guard must let every reply in `LEGITIMATE` through at its default window, and stop
every loop in `LOOPS` soon after it starts. Each loop is (what came before it, the loop).
"""

from __future__ import annotations

COMPARISON_TABLE = """\
Here's a comparison of the three most popular Python web frameworks:

| Feature            | Django              | Flask               | FastAPI             |
|--------------------|---------------------|---------------------|---------------------|
| Type               | Full-stack          | Micro               | Micro (async)       |
| First release      | 2005                | 2010                | 2018                |
| ORM included       | Yes                 | No                  | No                  |
| Admin panel        | Yes                 | No                  | No                  |
| Async support      | Partial             | Partial             | Yes                 |
| Data validation    | Forms               | No                  | Yes (Pydantic)      |
| Auto API docs      | No                  | No                  | Yes                 |
| Learning curve     | Steep               | Gentle              | Gentle              |
| Performance        | Good                | Good                | Very good           |
| Best for           | Large apps          | Small apps          | APIs                |
| Templating         | Yes                 | Yes (Jinja2)        | No                  |
| Community size     | Very large          | Large               | Growing             |

**Summary:** choose Django when you want batteries included, Flask when you want to pick your
own pieces, and FastAPI when you are building an API and care about speed and type hints.
"""

SCHEDULE_TABLE = """\
Sure! Here is a weekly study plan that alternates subjects so you never do the same thing two
days in a row:

| Day       | Morning (9-11)  | Afternoon (14-16) | Evening (19-20) |
|-----------|-----------------|-------------------|-----------------|
| Monday    | Math            | Physics           | Review          |
| Tuesday   | Chemistry       | Math              | Review          |
| Wednesday | Physics         | Chemistry         | Review          |
| Thursday  | Math            | Physics           | Review          |
| Friday    | Chemistry       | Math              | Review          |
| Saturday  | Practice exam   | Rest              | Rest            |
| Sunday    | Rest            | Rest              | Plan next week  |

A few tips:

- Keep the **Review** slots short (about 45 minutes).
- Use the **Rest** slots for real rest: no screens if you can.
- After the practice exam on Saturday, write down the three topics you found hardest.
"""

STEPS = """\
To set up a Python virtual environment on Windows, follow these steps:

1. **Open a terminal.** Press `Win + R`, type `cmd` and press Enter.
2. **Go to your project folder.** Type `cd C:\\Users\\you\\projects\\myapp` and press Enter.
3. **Create the environment.** Type `python -m venv .venv` and press Enter.
4. **Activate it.** Type `.venv\\Scripts\\activate` and press Enter. You should see `(.venv)`
   at the start of the prompt.
5. **Upgrade pip.** Type `python -m pip install --upgrade pip` and press Enter.
6. **Install your packages.** Type `pip install -r requirements.txt` and press Enter.
7. **Check the installation.** Type `pip list` and press Enter.
8. **Deactivate when done.** Type `deactivate` and press Enter.

If step 4 fails with an error about scripts being disabled, run PowerShell as an administrator
and type `Set-ExecutionPolicy -Scope CurrentUser RemoteSigned`, then try again.
"""

CHECKLIST = """\
Here's a packing checklist for a three-day hiking trip:

**Clothing**
- [ ] Hiking boots (broken in)
- [ ] 3 pairs of hiking socks
- [ ] 3 pairs of underwear
- [ ] 2 moisture-wicking T-shirts
- [ ] 1 long-sleeve base layer
- [ ] 1 fleece jacket
- [ ] 1 waterproof jacket
- [ ] 1 pair of hiking trousers
- [ ] 1 warm hat
- [ ] 1 sun hat

**Gear**
- [ ] Backpack (40-50 L)
- [ ] Tent
- [ ] Sleeping bag
- [ ] Sleeping pad
- [ ] Headlamp and spare batteries
- [ ] Map and compass
- [ ] Water filter
- [ ] 2 water bottles (1 L each)

**Food**
- [ ] 3 breakfasts
- [ ] 3 lunches
- [ ] 2 dinners
- [ ] Snacks (nuts, dried fruit, bars)

**Safety**
- [ ] First-aid kit
- [ ] Sunscreen
- [ ] Insect repellent
- [ ] Whistle
"""

NESTED_LIST = """\
A typical web application has these layers:

- **Frontend**
  - HTML for structure
  - CSS for style
  - JavaScript for behaviour
    - Frameworks: React, Vue, Svelte
    - Build tools: Vite, webpack
- **Backend**
  - A web server
    - Examples: nginx, Apache, Caddy
  - An application server
    - Examples: Gunicorn, uWSGI, Node.js
  - Business logic
- **Database**
  - Relational
    - Examples: PostgreSQL, MySQL, SQLite
  - Document
    - Examples: MongoDB, CouchDB
  - Key-value
    - Examples: Redis, etcd
"""

CSV_DATA = """\
Here is the sample data as CSV:

```csv
date,region,product,units,unit_price,total
2024-01-01,North,Widget,12,2.50,30.00
2024-01-01,South,Widget,8,2.50,20.00
2024-01-01,North,Gadget,5,10.00,50.00
2024-01-01,South,Gadget,3,10.00,30.00
2024-01-02,North,Widget,15,2.50,37.50
2024-01-02,South,Widget,9,2.50,22.50
2024-01-02,North,Gadget,4,10.00,40.00
2024-01-02,South,Gadget,6,10.00,60.00
2024-01-03,North,Widget,11,2.50,27.50
2024-01-03,South,Widget,10,2.50,25.00
2024-01-03,North,Gadget,7,10.00,70.00
2024-01-03,South,Gadget,2,10.00,20.00
2024-01-04,North,Widget,14,2.50,35.00
2024-01-04,South,Widget,12,2.50,30.00
2024-01-04,North,Gadget,5,10.00,50.00
2024-01-04,South,Gadget,5,10.00,50.00
2024-01-05,North,Widget,13,2.50,32.50
2024-01-05,South,Widget,7,2.50,17.50
2024-01-05,North,Gadget,8,10.00,80.00
2024-01-05,South,Gadget,4,10.00,40.00
```

Each row is one day's sales of one product in one region; `total` is `units * unit_price`.
"""

PYTHON_CLASSES = '''\
Here is a small class hierarchy for shapes:

```python
from __future__ import annotations

import math
from dataclasses import dataclass


class Shape:
    def __init__(self, x: float, y: float) -> None:
        self.x = x
        self.y = y

    def area(self) -> float:
        raise NotImplementedError

    def move(self, dx: float, dy: float) -> None:
        self.x = self.x + dx
        self.y = self.y + dy


class Rectangle(Shape):
    def __init__(self, x: float, y: float, width: float, height: float) -> None:
        super().__init__(x, y)
        self.width = width
        self.height = height

    def area(self) -> float:
        return self.width * self.height


class Square(Rectangle):
    def __init__(self, x: float, y: float, side: float) -> None:
        super().__init__(x, y, side, side)


class Circle(Shape):
    def __init__(self, x: float, y: float, radius: float) -> None:
        super().__init__(x, y)
        self.radius = radius

    def area(self) -> float:
        return math.pi * self.radius ** 2


@dataclass
class Point:
    x: float
    y: float


@dataclass
class Size:
    width: float
    height: float
```

Each subclass calls `super().__init__(x, y)` so the position is stored in one place.
'''

PYTHON_REWRITE = '''\
Here is the function:

```python
def parse_config(path):
    with open(path) as handle:
        lines = handle.readlines()
    config = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, value = line.split("=")
        config[key.strip()] = value.strip()
    return config
```

It fails on lines with more than one `=`. Here is the fixed version:

```python
def parse_config(path):
    with open(path) as handle:
        lines = handle.readlines()
    config = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, value = line.split("=", 1)
        config[key.strip()] = value.strip()
    return config
```

The only change is `split("=", 1)`, which splits at the first `=` only.
'''

C_CODE = """\
Here is a binary search tree in C with insert, search and in-order traversal:

```c
#include <stdio.h>
#include <stdlib.h>

struct node {
    int key;
    struct node *left;
    struct node *right;
};

struct node *new_node(int key)
{
    struct node *n = malloc(sizeof *n);
    if (n == NULL) {
        perror("malloc");
        exit(1);
    }
    n->key = key;
    n->left = NULL;
    n->right = NULL;
    return n;
}

struct node *insert(struct node *root, int key)
{
    if (root == NULL) {
        return new_node(key);
    }
    if (key < root->key) {
        root->left = insert(root->left, key);
    } else if (key > root->key) {
        root->right = insert(root->right, key);
    }
    return root;
}

struct node *search(struct node *root, int key)
{
    while (root != NULL) {
        if (key == root->key) {
            return root;
        }
        if (key < root->key) {
            root = root->left;
        } else {
            root = root->right;
        }
    }
    return NULL;
}

void inorder(struct node *root)
{
    if (root != NULL) {
        inorder(root->left);
        printf("%d ", root->key);
        inorder(root->right);
    }
}

void free_tree(struct node *root)
{
    if (root != NULL) {
        free_tree(root->left);
        free_tree(root->right);
        free(root);
    }
}

int main(void)
{
    struct node *root = NULL;
    int keys[] = {50, 30, 20, 40, 70, 60, 80};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        root = insert(root, keys[i]);
    }
    inorder(root);
    printf("\\n");
    free_tree(root);
    return 0;
}
```
"""

JSON_CONFIG = """\
Here's an example `package.json`-style list of users in JSON:

```json
{
  "users": [
    {
      "id": 1,
      "name": "Alice Martin",
      "email": "alice@example.com",
      "active": true,
      "roles": ["admin", "editor"]
    },
    {
      "id": 2,
      "name": "Bob Chen",
      "email": "bob@example.com",
      "active": true,
      "roles": ["editor"]
    },
    {
      "id": 3,
      "name": "Carla Diaz",
      "email": "carla@example.com",
      "active": false,
      "roles": ["viewer"]
    },
    {
      "id": 4,
      "name": "David Okafor",
      "email": "david@example.com",
      "active": true,
      "roles": ["viewer"]
    },
    {
      "id": 5,
      "name": "Emma Novak",
      "email": "emma@example.com",
      "active": true,
      "roles": ["editor", "viewer"]
    }
  ]
}
```
"""

SQL_INSERTS = """\
Here are some rows to seed the table:

```sql
CREATE TABLE employees (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    department TEXT NOT NULL,
    salary INTEGER NOT NULL
);

INSERT INTO employees (id, name, department, salary) VALUES (1, 'Alice', 'Engineering', 95000);
INSERT INTO employees (id, name, department, salary) VALUES (2, 'Bob', 'Engineering', 88000);
INSERT INTO employees (id, name, department, salary) VALUES (3, 'Carol', 'Sales', 70000);
INSERT INTO employees (id, name, department, salary) VALUES (4, 'Dan', 'Sales', 72000);
INSERT INTO employees (id, name, department, salary) VALUES (5, 'Eve', 'Marketing', 68000);
INSERT INTO employees (id, name, department, salary) VALUES (6, 'Frank', 'Engineering', 105000);
INSERT INTO employees (id, name, department, salary) VALUES (7, 'Grace', 'Support', 52000);
INSERT INTO employees (id, name, department, salary) VALUES (8, 'Heidi', 'Support', 54000);
INSERT INTO employees (id, name, department, salary) VALUES (9, 'Ivan', 'Marketing', 71000);
INSERT INTO employees (id, name, department, salary) VALUES (10, 'Judy', 'Sales', 69000);

SELECT department, AVG(salary) FROM employees GROUP BY department;
```
"""

HTML_TABLE = """\
```html
<table>
  <thead>
    <tr>
      <th>Name</th>
      <th>Age</th>
      <th>City</th>
    </tr>
  </thead>
  <tbody>
    <tr>
      <td>Anna</td>
      <td>28</td>
      <td>Berlin</td>
    </tr>
    <tr>
      <td>Ben</td>
      <td>34</td>
      <td>London</td>
    </tr>
    <tr>
      <td>Chloe</td>
      <td>25</td>
      <td>Paris</td>
    </tr>
    <tr>
      <td>Diego</td>
      <td>41</td>
      <td>Madrid</td>
    </tr>
    <tr>
      <td>Eva</td>
      <td>30</td>
      <td>Rome</td>
    </tr>
  </tbody>
</table>
```
"""

YAML_COMPOSE = """\
```yaml
services:
  web:
    image: nginx:1.27
    ports:
      - "80:80"
    depends_on:
      - app
    restart: unless-stopped
  app:
    build: .
    environment:
      - DATABASE_URL=postgres://app:secret@db:5432/app
      - REDIS_URL=redis://cache:6379/0
    depends_on:
      - db
      - cache
    restart: unless-stopped
  worker:
    build: .
    command: python -m app.worker
    environment:
      - DATABASE_URL=postgres://app:secret@db:5432/app
      - REDIS_URL=redis://cache:6379/0
    depends_on:
      - db
      - cache
    restart: unless-stopped
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD=secret
    volumes:
      - db-data:/var/lib/postgresql/data
    restart: unless-stopped
  cache:
    image: redis:7
    restart: unless-stopped
volumes:
  db-data:
```
"""

UNIT_TESTS = '''\
```python
import pytest

from calculator import Calculator


@pytest.fixture
def calc():
    return Calculator()


def test_add(calc):
    assert calc.add(2, 3) == 5
    assert calc.add(-1, 1) == 0
    assert calc.add(0, 0) == 0


def test_subtract(calc):
    assert calc.subtract(5, 3) == 2
    assert calc.subtract(3, 5) == -2
    assert calc.subtract(0, 0) == 0


def test_multiply(calc):
    assert calc.multiply(2, 3) == 6
    assert calc.multiply(-2, 3) == -6
    assert calc.multiply(0, 5) == 0


def test_divide(calc):
    assert calc.divide(6, 3) == 2
    assert calc.divide(-6, 3) == -2
    assert calc.divide(5, 2) == 2.5


def test_divide_by_zero(calc):
    with pytest.raises(ZeroDivisionError):
        calc.divide(1, 0)
```
'''

SONG = """\
Here's a short song with a chorus:

**Verse 1**
Woke up early, sun was low,
Coffee steaming, radio,
Every road was open wide,
Nothing left to hide.

**Chorus**
Oh, we're going home tonight,
Through the rain and city light,
Oh, we're going home tonight,
Everything will be all right.

**Verse 2**
Empty station, midnight train,
Letters written in the rain,
Every mile a little less,
Of the loneliness.

**Chorus**
Oh, we're going home tonight,
Through the rain and city light,
Oh, we're going home tonight,
Everything will be all right.

**Bridge**
La la la, la la la,
La la la, la la la.

**Chorus**
Oh, we're going home tonight,
Through the rain and city light,
Oh, we're going home tonight,
Everything will be all right.
"""

TIMES_TABLE = """\
Here is the 7 times table:

7 x 1 = 7
7 x 2 = 14
7 x 3 = 21
7 x 4 = 28
7 x 5 = 35
7 x 6 = 42
7 x 7 = 49
7 x 8 = 56
7 x 9 = 63
7 x 10 = 70
7 x 11 = 77
7 x 12 = 84

A trick: the last digits of the first ten answers (7, 4, 1, 8, 5, 2, 9, 6, 3, 0) use every digit
exactly once.
"""

LOG_EXCERPT = """\
The log shows the retries clearly:

```
2024-05-01 12:00:01 INFO  [worker-1] Connecting to db.internal:5432
2024-05-01 12:00:06 WARN  [worker-1] Connection timed out after 5s, retrying (1/5)
2024-05-01 12:00:11 WARN  [worker-1] Connection timed out after 5s, retrying (2/5)
2024-05-01 12:00:16 WARN  [worker-1] Connection timed out after 5s, retrying (3/5)
2024-05-01 12:00:21 WARN  [worker-1] Connection timed out after 5s, retrying (4/5)
2024-05-01 12:00:26 WARN  [worker-1] Connection timed out after 5s, retrying (5/5)
2024-05-01 12:00:26 ERROR [worker-1] Giving up on db.internal:5432
```

The worker tried five times, five seconds apart, and then gave up: the database host was not
reachable from the worker's network at all, so check the firewall rules first.
"""

BOX_DRAWING = """\
The directory layout:

```
myproject/
├── README.md
├── pyproject.toml
├── src/
│   └── myproject/
│       ├── __init__.py
│       ├── cli.py
│       ├── core.py
│       └── utils.py
└── tests/
    ├── __init__.py
    ├── test_cli.py
    ├── test_core.py
    └── test_utils.py
```

━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━

Keep tests beside `src/`, not inside it, so they never ship with the package.
"""

MARKDOWN_SEPARATORS = """\
| Option | Default | Meaning |
|:-------|:-------:|--------:|
| `-v`   | off     | verbose |
| `-q`   | off     | quiet   |
| `-n`   | 4       | workers |

---

| Level | Colour |
|-------|--------|
| 1     | green  |
| 2     | yellow |
| 3     | red    |

=================================================================================

That's all the options.
"""

THIRD_COPY = PYTHON_REWRITE + '''
And the whole function once more, as it should end up in your file:

```python
def parse_config(path):
    with open(path) as handle:
        lines = handle.readlines()
    config = {}
    for line in lines:
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        key, value = line.split("=", 1)
        config[key.strip()] = value.strip()
    return config
```
'''

ZERO_MATRIX = """\
A 6 x 6 matrix of zeros, then the identity matrix:

```
0 0 0 0 0 0
0 0 0 0 0 0
0 0 0 0 0 0
0 0 0 0 0 0
0 0 0 0 0 0
0 0 0 0 0 0
```

```
1 0 0 0 0 0
0 1 0 0 0 0
0 0 1 0 0 0
0 0 0 1 0 0
0 0 0 0 1 0
0 0 0 0 0 1
```

In NumPy: `np.zeros((6, 6))` and `np.eye(6)`.
"""

LEGITIMATE: dict[str, str] = {
    "comparison table": COMPARISON_TABLE,
    "schedule table": SCHEDULE_TABLE,
    "numbered steps": STEPS,
    "checklist": CHECKLIST,
    "nested list": NESTED_LIST,
    "CSV": CSV_DATA,
    "Python classes": PYTHON_CLASSES,
    "a function and its fixed version": PYTHON_REWRITE,
    "a function written out a third time": THIRD_COPY,
    "C code": C_CODE,
    "JSON": JSON_CONFIG,
    "SQL inserts": SQL_INSERTS,
    "HTML table": HTML_TABLE,
    "YAML": YAML_COMPOSE,
    "unit tests": UNIT_TESTS,
    "song with a chorus": SONG,
    "times table": TIMES_TABLE,
    "log excerpt": LOG_EXCERPT,
    "box drawing": BOX_DRAWING,
    "Markdown separators": MARKDOWN_SEPARATORS,
    "matrices": ZERO_MATRIX,
}

# The loop from issue 16: Gemma 3 270M (a base model) read through ChatML echoed the prompt,
# then wrote `<|im_end|><` and hundreds of lines of `<`.
GEMMA_ECHO = "Write a haiku about winter.<|im_end|><\n"
GEMMA_LOOP = "<\n" * 400

LOOPS: dict[str, tuple[str, str]] = {
    "Gemma's lines of <": (GEMMA_ECHO, GEMMA_LOOP),
    "a turn echoed again and again": (
        "Write a haiku about winter.<|im_end|>\n",
        "<|im_start|>assistant\nWrite a haiku about winter.<|im_end|>\n" * 40,
    ),
    "one sentence": (
        "I can help with that. ",
        "I'm sorry, but I cannot provide that information. " * 60,
    ),
    "a list item": (
        "Here are some fruits:\n\n",
        "- Apples are a good source of fiber.\n" * 80,
    ),
    "a paragraph": (
        "Once upon a time, ",
        "there was a small village at the edge of a great forest. The people of the village "
        "were kind and hard-working, and every morning they went into the forest to gather "
        "wood and berries. " * 12,
    ),
    "blank lines": ("The answer is 42.", "\n" * 300),
}
